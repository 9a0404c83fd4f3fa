// A step's command as the component wrote it before asRoot (sudo) and failureMarked wrapped it,
// so tests can read the script itself.
const unquote = (q: string) => q.slice(1, -1).replaceAll(`'"'"'`, "'");

export function innerScript(create: string): string {
  let s = create;
  const sudo = /^sudo -n sh -c ('.*')$/s.exec(s);
  if (sudo) s = unquote(sudo[1]!);
  const marked = /^K3S_DAAS_STEP=('.*'); sh -c "\$K3S_DAAS_STEP"; rc=\$\?; .*$/s.exec(s);
  if (marked) s = unquote(marked[1]!);
  return s;
}
