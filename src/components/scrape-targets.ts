// The fleet's agents as Prometheus scrape targets, in file_sd's JSON form: an operator's own
// Prometheus follows the fleet as it scales in and out by writing this stack output to the file
// its `file_sd_configs` names (README "Monitoring"). One group per worker, labelled `node_id` as the
// shipped alert rules expect; the job name is the scrape config's (`k3s-daas-agent`).

export interface FileSdGroup {
  readonly targets: readonly string[];
  readonly labels: { readonly node_id: string };
}

/** `http://10.0.0.5:9443` -> `10.0.0.5:9443` (Prometheus takes host:port; the scheme is the job's). */
export function scrapeTarget(endpoint: string): string {
  const u = new URL(endpoint);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`agent endpoint ${endpoint} is not http(s)`);
  return u.host.includes(":") && !u.host.endsWith("]") ? u.host : `${u.host}:${u.port || (u.protocol === "https:" ? 443 : 80)}`;
}

/** file_sd groups for the workers, sorted by node id so the output is stable across ups. */
export function fileSdTargets(workers: readonly { readonly name: string; readonly endpoint: string }[]): FileSdGroup[] {
  return [...workers]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((w) => ({ targets: [scrapeTarget(w.endpoint)], labels: { node_id: w.name } }));
}
