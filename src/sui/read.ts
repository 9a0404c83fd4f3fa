// Reading k3s_daas objects through the transport-neutral core API. Objects are decoded from
// their BCS contents and checked against the expected Move type, so an id pointing at some
// other object is an error, not garbage.
import { bcs } from "@mysten/sui/bcs";
import { ObjectError, type ClientWithCoreApi } from "@mysten/sui/client";
import { normalizeSuiAddress, toBase64 } from "@mysten/sui/utils";
import { NautilusRegistryBcs, SealTokenBcs, StakeRecordBcs, StakingPoolBcs, STATUS_BY_CODE } from "./layouts.js";
import type { ChainIds, NautilusRegistry, SealToken, StakeRecord, StakingPool } from "./types.js";

interface RawObject {
  objectId: string;
  version: string;
  type: string;
  owner: unknown;
  content: Uint8Array;
}

/** The object with its BCS contents, or null if it does not exist (or was deleted). */
async function getRaw(client: ClientWithCoreApi, id: string): Promise<RawObject | null> {
  try {
    const { object } = await client.core.getObject({ objectId: id, include: { content: true } });
    return object as unknown as RawObject;
  } catch (e) {
    if (e instanceof ObjectError && (e.reason === "notFound" || e.reason === "deleted")) return null;
    throw e;
  }
}

function expectType(obj: RawObject, suffix: string, packageId?: string) {
  const want = packageId ? `${normalizeSuiAddress(packageId)}${suffix}` : suffix;
  if (!(packageId ? obj.type === want : obj.type.endsWith(suffix))) {
    throw new Error(`object ${obj.objectId} is a ${obj.type}, not a k3s_daas${suffix}`);
  }
}

function ownerAddress(owner: unknown): string {
  const o = owner as { $kind?: string; AddressOwner?: string };
  return o?.$kind === "AddressOwner" && o.AddressOwner ? normalizeSuiAddress(o.AddressOwner) : "";
}

export async function readStakeRecord(client: ClientWithCoreApi, stakeId: string, packageId?: string): Promise<StakeRecord | null> {
  const obj = await getRaw(client, stakeId);
  return obj && parseStakeRecord(obj, stakeId, packageId);
}

function parseStakeRecord(obj: RawObject, stakeId: string, packageId?: string): StakeRecord {
  expectType(obj, "::staking::StakeRecord", packageId);
  const r = StakeRecordBcs.parse(obj.content);
  const status = STATUS_BY_CODE[r.status as 1 | 2 | 3];
  if (!status) throw new Error(`stake ${stakeId} has unknown status code ${r.status}`);
  return {
    id: normalizeSuiAddress(r.id), version: obj.version, poolId: normalizeSuiAddress(r.pool_id),
    staker: normalizeSuiAddress(r.staker), nodeId: r.node_id, amountMist: BigInt(r.amount), status,
    stakedAtEpoch: BigInt(r.staked_at), lockedUntilEpoch: BigInt(r.locked_until),
  };
}

export async function readSealToken(client: ClientWithCoreApi, sealTokenId: string, packageId?: string): Promise<SealToken | null> {
  const obj = await getRaw(client, sealTokenId);
  return obj && parseSealToken(obj, packageId);
}

function parseSealToken(obj: RawObject, packageId?: string): SealToken {
  expectType(obj, "::k8s_gateway::SealToken", packageId);
  const t = SealTokenBcs.parse(obj.content);
  return {
    id: normalizeSuiAddress(t.id), version: obj.version, owner: ownerAddress(obj.owner),
    stakeId: normalizeSuiAddress(t.stake_id), nodeId: t.node_id, workerPubkey: toBase64(new Uint8Array(t.worker_pubkey)),
    permissions: t.permissions, issuedAtEpoch: BigInt(t.issued_at), expiresAtEpoch: BigInt(t.expires_at),
  };
}

export async function readRegistry(client: ClientWithCoreApi, registryId: string, packageId?: string): Promise<NautilusRegistry> {
  const obj = await getRaw(client, registryId);
  if (!obj) throw new Error(`Nautilus registry ${registryId} does not exist`);
  return parseRegistry(obj, packageId);
}

function parseRegistry(obj: RawObject, packageId?: string): NautilusRegistry {
  expectType(obj, "::k8s_gateway::NautilusRegistry", packageId);
  const r = NautilusRegistryBcs.parse(obj.content);
  return {
    id: normalizeSuiAddress(r.id), endpoint: r.endpoint,
    enclavePubkey: r.enclave_pubkey.length ? toBase64(new Uint8Array(r.enclave_pubkey)) : "",
    updatedAtEpoch: BigInt(r.updated_at),
  };
}

export async function readPool(client: ClientWithCoreApi, poolId: string, packageId?: string): Promise<StakingPool> {
  const obj = await getRaw(client, poolId);
  if (!obj) throw new Error(`staking pool ${poolId} does not exist`);
  expectType(obj, "::staking::StakingPool", packageId);
  const p = StakingPoolBcs.parse(obj.content);
  return {
    id: normalizeSuiAddress(p.id), balanceMist: BigInt(p.balance), slashedMist: BigInt(p.slashed),
    minNodeStakeMist: BigInt(p.min_node_stake), lockEpochs: BigInt(p.lock_epochs),
    nodeStakesTableId: normalizeSuiAddress(p.node_stakes.id), nodeStakesCount: BigInt(p.node_stakes.size),
    totalStakedMist: BigInt(p.total_staked), totalSlashedMist: BigInt(p.total_slashed), activeStakes: BigInt(p.active_stakes),
  };
}

/** The stake id the pool's node_stakes table holds for this node id, if any (any staker). */
export async function stakeIdForNode(client: ClientWithCoreApi, ids: ChainIds, nodeId: string): Promise<string | null> {
  const pool = await readPool(client, ids.poolId, ids.packageId);
  try {
    const { dynamicField } = await client.core.getDynamicField({
      parentId: pool.nodeStakesTableId,
      name: { type: "0x1::string::String", bcs: bcs.string().serialize(nodeId).toBytes() },
    });
    return normalizeSuiAddress(bcs.Address.parse(dynamicField.value.bcs));
  } catch (e) {
    if (e instanceof ObjectError && (e.reason === "notFound" || e.reason === "deleted")) return null;
    throw e;
  }
}

/**
 * The live (active or slashed, not yet withdrawn) stake for `nodeId` placed by `staker`, or
 * null. A deploy that crashed after staking uses this to adopt its stake instead of staking
 * twice (which the pool would refuse anyway: one live stake per node id).
 */
export async function findLiveStake(client: ClientWithCoreApi, ids: ChainIds, q: { nodeId: string; staker: string }): Promise<StakeRecord | null> {
  const stakeId = await stakeIdForNode(client, ids, q.nodeId);
  if (!stakeId) return null;
  const rec = await readStakeRecord(client, stakeId, ids.packageId);
  if (!rec || rec.status === "withdrawn" || rec.staker !== normalizeSuiAddress(q.staker)) return null;
  return rec;
}

/** What one worker needs from chain, read in a single request (one batch of three objects). */
export interface WorkerObjects {
  stake: StakeRecord | null;
  sealToken: SealToken | null;
  registry: NautilusRegistry;
}

export async function readWorkerObjects(
  client: ClientWithCoreApi,
  ids: { stakeId: string; sealTokenId: string; registryId: string },
  packageId?: string,
): Promise<WorkerObjects> {
  const { objects } = await client.core.getObjects({ objectIds: [ids.stakeId, ids.sealTokenId, ids.registryId], include: { content: true } });
  const [stake, token, registry] = objects.map((o) => {
    if (!(o instanceof Error)) return o as unknown as RawObject;
    if (o instanceof ObjectError && (o.reason === "notFound" || o.reason === "deleted")) return null;
    throw o;
  });
  if (!registry) throw new Error(`Nautilus registry ${ids.registryId} does not exist`);
  return {
    stake: stake ? parseStakeRecord(stake, ids.stakeId, packageId) : null,
    sealToken: token ? parseSealToken(token, packageId) : null,
    registry: parseRegistry(registry, packageId),
  };
}

/** The current epoch and when it is due to end (start + the system's epoch duration). */
export async function currentEpochInfo(client: ClientWithCoreApi): Promise<{ epoch: bigint; endsAtMs: number }> {
  const { systemState } = await client.core.getCurrentSystemState();
  const start = Number(systemState.epochStartTimestampMs);
  const duration = Number(systemState.parameters.epochDurationMs ?? 0);
  return { epoch: BigInt(systemState.epoch), endsAtMs: start + (duration > 0 ? duration : 86_400_000) };
}

export async function currentEpoch(client: ClientWithCoreApi): Promise<bigint> {
  const { systemState } = await client.core.getCurrentSystemState();
  return BigInt(systemState.epoch);
}
