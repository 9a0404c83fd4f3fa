// Reading k3s_daas objects through the transport-neutral core API. Objects are decoded from
// their BCS contents and checked against the exact Move type of the package they must come
// from, so an id pointing at some other object is an error, not garbage, and an object of
// another package with the same struct names and shapes (anyone can publish one) is refused.
//
// Which package id: the one an object's type names. Sui names a type by the package that
// defined it, and a struct defined in a package's first publish keeps that (original) id
// across every upgrade: after an upgrade to a new package id, a StakeRecord is still
// `<original id>::staking::StakeRecord`. All four structs read here come from the first
// publish, so `packageId` below is always the package's original id.
import { bcs } from "@mysten/sui/bcs";
import { ObjectError, type ClientWithCoreApi } from "@mysten/sui/client";
import { isValidSuiAddress, normalizeSuiAddress, toBase64 } from "@mysten/sui/utils";
import { NautilusRegistryBcs, SealTokenBcs, StakeRecordBcs, StakingPoolBcs, STATUS_BY_CODE } from "./layouts.js";
import type { ChainIds, NautilusRegistry, SealToken, StakeRecord, StakingPool } from "./types.js";
import { OBJECT_ID } from "../rules.js";

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

/**
 * An object is not of the type it must have: another package's struct of the same name (an
 * impostor's), or another object altogether. Its message names both types.
 */
export class ObjectTypeError extends Error {
  override readonly name = "ObjectTypeError";
  constructor(readonly objectId: string, readonly actualType: string, readonly expectedType: string) {
    super(`object ${objectId} is a ${actualType}, not a ${expectedType}` +
      (actualType.endsWith(expectedType.slice(expectedType.indexOf("::"))) ? ": it comes from another package than the configured k3s_daas package" : ""));
  }
}

/** The package id every read checks types against; a missing or malformed one is a caller bug. */
function packageIdOf(packageId: string, what: string): string {
  if (typeof packageId !== "string" || !OBJECT_ID.test(packageId) || !isValidSuiAddress(normalizeSuiAddress(packageId))) {
    throw new TypeError(`${what}: the k3s_daas package id (its original id) is required to check the object's type, got ${String(packageId)}`);
  }
  return normalizeSuiAddress(packageId);
}

/** The exact type `<package>::<module>::<Struct>`, or ObjectTypeError. */
function expectType(obj: RawObject, suffix: string, packageId: string) {
  const want = `${packageIdOf(packageId, `reading ${obj.objectId}`)}${suffix}`;
  if (normalizeStructTag(obj.type) !== want) throw new ObjectTypeError(obj.objectId, obj.type, want);
}

/** `0x2::...` and `0x000...2::...` name the same package: compare the address part normalized. */
function normalizeStructTag(type: string): string {
  const i = type.indexOf("::");
  return i > 0 && type.startsWith("0x") ? `${normalizeSuiAddress(type.slice(0, i))}${type.slice(i)}` : type;
}

function ownerAddress(owner: unknown): string {
  const o = owner as { $kind?: string; AddressOwner?: string };
  return o?.$kind === "AddressOwner" && o.AddressOwner ? normalizeSuiAddress(o.AddressOwner) : "";
}

/**
 * The stake record, or null if there is no such object. `packageId`: the k3s_daas package's
 * original id; an object of any other type (another package's StakeRecord included) is an
 * ObjectTypeError. The same holds for every read below.
 */
export async function readStakeRecord(client: ClientWithCoreApi, stakeId: string, packageId: string): Promise<StakeRecord | null> {
  packageIdOf(packageId, `reading stake ${stakeId}`);
  const obj = await getRaw(client, stakeId);
  return obj && parseStakeRecord(obj, stakeId, packageId);
}

function parseStakeRecord(obj: RawObject, stakeId: string, packageId: string): StakeRecord {
  expectType(obj, "::staking::StakeRecord", packageId);
  const r = StakeRecordBcs.parse(obj.content);
  const status = STATUS_BY_CODE[r.status as keyof typeof STATUS_BY_CODE];
  if (!status) throw new Error(`stake ${stakeId} has unknown status code ${r.status}`);
  return {
    id: normalizeSuiAddress(r.id), version: obj.version, poolId: normalizeSuiAddress(r.pool_id),
    staker: normalizeSuiAddress(r.staker), nodeId: r.node_id, amountMist: BigInt(r.amount), status,
    stakedAtEpoch: BigInt(r.staked_at), lockedUntilEpoch: BigInt(r.locked_until),
    withdrawalRequestedMist: BigInt(r.withdrawal_requested), claimableAtEpoch: BigInt(r.claimable_at),
  };
}

export async function readSealToken(client: ClientWithCoreApi, sealTokenId: string, packageId: string): Promise<SealToken | null> {
  packageIdOf(packageId, "reading a seal token");
  const obj = await getRaw(client, sealTokenId);
  return obj && parseSealToken(obj, packageId);
}

function parseSealToken(obj: RawObject, packageId: string): SealToken {
  expectType(obj, "::k8s_gateway::SealToken", packageId);
  const t = SealTokenBcs.parse(obj.content);
  return {
    id: normalizeSuiAddress(t.id), version: obj.version, owner: ownerAddress(obj.owner),
    stakeId: normalizeSuiAddress(t.stake_id), nodeId: t.node_id, workerPubkey: toBase64(new Uint8Array(t.worker_pubkey)),
    permissions: t.permissions, issuedAtEpoch: BigInt(t.issued_at), expiresAtEpoch: BigInt(t.expires_at),
  };
}

export async function readRegistry(client: ClientWithCoreApi, registryId: string, packageId: string): Promise<NautilusRegistry> {
  packageIdOf(packageId, `reading registry ${registryId}`);
  const obj = await getRaw(client, registryId);
  if (!obj) throw new Error(`Nautilus registry ${registryId} does not exist`);
  return parseRegistry(obj, packageId);
}

function parseRegistry(obj: RawObject, packageId: string): NautilusRegistry {
  expectType(obj, "::k8s_gateway::NautilusRegistry", packageId);
  const r = NautilusRegistryBcs.parse(obj.content);
  return {
    id: normalizeSuiAddress(r.id), endpoint: r.endpoint,
    enclavePubkey: r.enclave_pubkey.length ? toBase64(new Uint8Array(r.enclave_pubkey)) : "",
    updatedAtEpoch: BigInt(r.updated_at),
  };
}

export async function readPool(client: ClientWithCoreApi, poolId: string, packageId: string): Promise<StakingPool> {
  packageIdOf(packageId, `reading pool ${poolId}`);
  const obj = await getRaw(client, poolId);
  if (!obj) throw new Error(`staking pool ${poolId} does not exist`);
  expectType(obj, "::staking::StakingPool", packageId);
  const p = StakingPoolBcs.parse(obj.content);
  return {
    id: normalizeSuiAddress(p.id), balanceMist: BigInt(p.balance), slashedMist: BigInt(p.slashed),
    minNodeStakeMist: BigInt(p.min_node_stake), lockEpochs: BigInt(p.lock_epochs), withdrawalCooldownEpochs: BigInt(p.withdrawal_cooldown_epochs),
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
 * The live (active, leaving or slashed, not yet withdrawn) stake for `nodeId` held by `staker`,
 * or null. A deploy that crashed after staking uses this to adopt its stake instead of staking
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
  packageId: string,
): Promise<WorkerObjects> {
  packageIdOf(packageId, "reading a worker's objects");
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
