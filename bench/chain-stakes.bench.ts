// Chain throughput: 50 stakes from one wallet submitted at once through src/sui (ChainSession on
// ParallelTransactionExecutor, with its shipped default pool of 20 gas coins) against the devnet
// chain, and, in the same repeat, the same 50 one at a time from a second wallet for the ratio.
//
// Counted per repeat: successes (each stake's StakeRecord read back from the chain, amount and
// node id checked), failed stakes, gas-coin conflicts (execute calls the chain refused because an
// owned object, i.e. a gas coin, was at another version or used twice; counted on the gRPC
// replies' statuses on the wire, so retries inside the SDK cannot hide one), wall time and
// transactions per second.
// Two network settings: the bare loopback devnet, and a simulated 100 ms round trip per RPC call,
// roughly client to fullnode on testnet.
//
// Real: src/sui, @mysten/sui's executor, signing, BCS, Sui gRPC (grpc-web) over HTTP. Stand-in: the devnet
// chain (devnet/chain, one process, executes each transaction at once; no consensus).
//
// run: source scripts/env.sh && node --import tsx bench/chain-stakes.bench.ts [--repeats 3] [--stakes 50]
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { startDevnet } from "../devnet/chain/index.js";
import { ChainSession, createSuiClient, readStakeRecord } from "../src/sui/index.js";
import { numberArg, check, fmtSpread, printJsonLine, printTargets, spread, target, timed } from "./lib/report";

const REPEATS = numberArg("repeats", 3);
const N = numberArg("stakes", 50);
const ONE_SUI = 1_000_000_000n;
const LATENCIES = [0, 100];

/** Counts the chain's refusals of ExecuteTransaction calls, by what they were refused for. */
const rpcCounts = { execute: 0, refused: 0, gasConflicts: 0 };
const GAS_CONFLICT = /is not available for consumption|is used twice in the transaction inputs|equivocat|locked by another transaction/i;
const EXECUTE_PATH = "/sui.rpc.v2.TransactionExecutionService/ExecuteTransaction";

/** grpc-status and grpc-message of a grpc-web reply body (its trailer frame, flag 0x80). */
function grpcStatus(body: Uint8Array): { code: number; message: string } {
  let at = 0;
  while (at + 5 <= body.length) {
    const len = new DataView(body.buffer, body.byteOffset + at + 1, 4).getUint32(0);
    if (body[at] === 0x80) {
      const text = new TextDecoder().decode(body.subarray(at + 5, at + 5 + len));
      const code = Number(/grpc-status:\s*(\d+)/i.exec(text)?.[1] ?? 0);
      const message = decodeURIComponent(/grpc-message:\s*([^\r\n]*)/i.exec(text)?.[1] ?? "");
      return { code, message };
    }
    at += 5 + len;
  }
  return { code: 0, message: "" };
}

const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const res = await realFetch(input, init);
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  if (!url.endsWith(EXECUTE_PATH)) return res;
  rpcCounts.execute++;
  const { code, message } = grpcStatus(new Uint8Array(await res.clone().arrayBuffer()));
  if (code !== 0) {
    rpcCounts.refused++;
    if (GAS_CONFLICT.test(message)) rpcCounts.gasConflicts++;
  }
  return res;
};

interface Repeat {
  parallelMs: number;
  serialMs: number;
  successes: number;
  failures: number;
  gasConflicts: number;
  refused: number;
  executeCalls: number;
}

async function once(rpcLatencyMs: number): Promise<Repeat> {
  const devnet = await startDevnet({ host: "127.0.0.1", port: 0, rpcLatencyMs });
  const client = createSuiClient(devnet.url);
  try {
    const wallet = async () => {
      const kp = Ed25519Keypair.generate();
      await devnet.faucet(kp.toSuiAddress(), BigInt(N + 20) * 2n * ONE_SUI);
      return new ChainSession(client, kp, devnet.ids, { gasCoinMist: ONE_SUI + 50_000_000n });
    };
    const serial = await wallet();
    const parallel = await wallet();
    // Warm-up outside the timing: the executor's first coin split and the shared pool's version.
    await serial.stakeForNode({ nodeId: "warm-serial", amountMist: ONE_SUI });
    await parallel.stakeForNode({ nodeId: "warm-parallel", amountMist: ONE_SUI });

    const s = await timed(async () => {
      for (let i = 0; i < N; i++) await serial.stakeForNode({ nodeId: `serial-${i}`, amountMist: ONE_SUI });
    });

    Object.assign(rpcCounts, { execute: 0, refused: 0, gasConflicts: 0 });
    const p = await timed(() =>
      Promise.allSettled(Array.from({ length: N }, (_, i) => parallel.stakeForNode({ nodeId: `parallel-${i}`, amountMist: ONE_SUI }))),
    );
    const counts = { ...rpcCounts };
    const settled = p.result;
    const failures = settled.filter((r) => r.status === "rejected");
    for (const f of failures.slice(0, 3)) console.error(`  failed stake: ${(f as PromiseRejectedResult).reason}`);

    // A success is a StakeRecord on chain for that node with that amount, not just a resolved promise.
    let successes = 0;
    for (const [i, r] of settled.entries()) {
      if (r.status !== "fulfilled") continue;
      const rec = await readStakeRecord(client, r.value.stakeId, devnet.ids.packageId);
      if (rec?.nodeId === `parallel-${i}` && rec.amountMist === ONE_SUI && rec.status === "active") successes++;
    }
    return {
      parallelMs: p.ms, serialMs: s.ms, successes, failures: failures.length,
      gasConflicts: counts.gasConflicts, refused: counts.refused, executeCalls: counts.execute,
    };
  } finally {
    await devnet.close();
  }
}

async function main() {
  console.log(`chain: ${N} stakes from one wallet at once vs one at a time, ${REPEATS} repeats per setting`);
  console.log("real: src/sui, @mysten/sui ParallelTransactionExecutor, Sui gRPC; stand-in: the devnet chain\n");
  const figures: Record<string, unknown> = {};
  const targets = [];
  for (const latency of LATENCIES) {
    const runs: Repeat[] = [];
    for (let r = 0; r < REPEATS; r++) runs.push(await once(latency));
    const tps = spread(runs.map((x) => N / (x.parallelMs / 1000)));
    const wall = spread(runs.map((x) => x.parallelMs / 1000));
    const serialTps = spread(runs.map((x) => N / (x.serialMs / 1000)));
    const ratio = spread(runs.map((x) => x.serialMs / x.parallelMs));
    const successes = spread(runs.map((x) => x.successes));
    const conflicts = runs.reduce((s, x) => s + x.gasConflicts, 0);
    const refused = runs.reduce((s, x) => s + x.refused, 0);
    const failures = runs.reduce((s, x) => s + x.failures, 0);
    const key = `rtt${latency}ms`;
    console.log(`simulated RPC round trip ${latency} ms:`);
    console.log(`  successes:            ${runs.map((x) => `${x.successes}/${N}`).join(", ")}`);
    console.log(`  failed stakes:        ${failures} over ${REPEATS} repeats`);
    console.log(`  gas-coin conflicts:   ${conflicts} (execute calls refused for any reason: ${refused}; execute calls per repeat: ${runs.map((x) => x.executeCalls).join(", ")})`);
    console.log(`  wall time, ${N} at once: ${fmtSpread(wall, "s", 2)}`);
    console.log(`  throughput at once:   ${fmtSpread(tps, "tx/s")}`);
    console.log(`  throughput serial:    ${fmtSpread(serialTps, "tx/s")}`);
    console.log(`  at once / serial:     ${fmtSpread(ratio, "x", 2)}\n`);
    figures[key] = { stakes: N, successes, failedStakes: failures, gasConflicts: conflicts, refusedExecutes: refused, wallSeconds: wall, tps, serialTps, parallelOverSerial: ratio };
    targets.push(target(`gas-coin conflicts, ${latency} ms round trip`, conflicts, "conflicts", "<=", 0));
    check(successes.min === N || failures > 0, "every stake either succeeded on chain or failed visibly");
  }
  printTargets(targets);
  printJsonLine("chain-stakes", figures, targets);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
