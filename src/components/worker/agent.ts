// The node agent: its bundle and the worker key made on the host (only the public key comes
// back), its config around the chain ids, its unit, and the service that starts it.
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as scripts from "../remote-scripts";
import type { SealToken } from "../seal-token";
import type { Stake } from "../stake";
import { sha256, type Worker } from "./context";
import type { Desired } from "./desired";
import { placeFile, type PinnedHost } from "./host";

export interface AgentIdentity {
  readonly bundle: pulumi.Resource;
  readonly workerKey: command.remote.Command;
  /** The worker key's public half (base64), printed by the keygen step. */
  readonly workerPubkey: pulumi.Output<string>;
}

/** The agent bundle, then the worker key made on the host with it. */
export function agentIdentity(w: Worker, h: PinnedHost, probe: pulumi.Resource, gate: pulumi.Resource, node: pulumi.Resource): AgentIdentity {
  const bundle = placeFile(w, h, "agent-bundle", w.assets.agentBundle, scripts.AGENT_BUNDLE, [probe, gate]);
  const workerKey = new command.remote.Command(
    `${w.name}-worker-key`,
    { connection: h.connection, create: w.asRoot(scripts.workerKeygen), logging: "none" },
    { ...w.child, dependsOn: [node, bundle] },
  );
  return { bundle, workerKey, workerPubkey: workerKey.stdout.apply((s) => s.trim()) };
}

export interface AgentService {
  readonly service: command.remote.Command;
  /** sha256 of the config file on the host (HostState checks it). */
  readonly configSha: pulumi.Output<string>;
}

export interface AgentServiceInputs {
  readonly probe: pulumi.Resource;
  readonly gate: pulumi.Resource;
  readonly node: pulumi.Resource;
  readonly identity: AgentIdentity;
  readonly k3s: pulumi.Resource;
  readonly stake: Stake;
  readonly seal: SealToken;
  readonly headersDigest: string | undefined;
}

/** The config (ids only, no secret), the unit, and the service; a changed one restarts the agent. */
export function startAgent(w: Worker, h: PinnedHost, d: Desired, i: AgentServiceInputs): AgentService {
  const configJson = pulumi
    .all([i.stake.stakeId, i.seal.sealTokenId])
    .apply(([stakeId, sealTokenId]) => JSON.stringify({ ...d.configHead, stakeId, sealTokenId, ...d.configTail }, null, 2));
  // What a restart is for: the config without the seal token id (a renewed token is reloaded live
  // by the config step), the bundle, the unit and Node.
  const restartConfigSha = i.stake.stakeId.apply((stakeId) => sha256(JSON.stringify({ ...d.configHead, stakeId, ...d.configTail }) + (i.headersDigest ? sha256(i.headersDigest) : "")));
  // Known only after the chain steps, so written from stdin by a command: a CopyToRemote with a
  // computed source fails upstream's check at preview (pulumi/pulumi-command#754). With headers,
  // they come first on stdin (one JSON line, for their 0600 file), and stdin is a secret; without,
  // the script removes a headers file left from before.
  const config = new command.remote.Command(
    `${w.name}-agent-config`,
    {
      connection: h.connection,
      create: w.asRoot(scripts.failureMarked("agent-config", scripts.writeAgentConfig({ withHeaders: d.agentHeaders !== undefined }))),
      stdin: d.agentHeaders ? pulumi.secret(configJson.apply((c) => `${JSON.stringify(d.agentHeaders)}\n${c}`)) : configJson,
    },
    { ...w.child, dependsOn: [i.probe, i.gate] },
  );
  const unit = placeFile(w, h, "agent-unit", w.assets.agentUnit, scripts.AGENT_UNIT, [i.probe, i.gate]);
  const service = new command.remote.Command(
    `${w.name}-agent-service`,
    { connection: h.connection, create: restartConfigSha.apply((c) => w.asRoot(scripts.failureMarked("agent-service", scripts.startAgent(d.bundleSha, c, d.nodeVersion, d.unitSha)))) },
    { ...w.child, dependsOn: [i.k3s, config, unit, i.identity.bundle, i.node, i.identity.workerKey] },
  );
  return { service, configSha: configJson.apply(sha256) };
}
