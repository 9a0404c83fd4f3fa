// 20 stakes from one wallet: one at a time vs all at once through ChainSession's
// ParallelTransactionExecutor. Prints figures and the throughput ratio; asserts nothing.
// Run twice: on the bare loopback devnet, and with a simulated network round trip per RPC.
// Run: PATH=$PWD/node_modules/.bin:$PATH node --import tsx bench/chain-parallel.bench.ts
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { startDevnet } from "../devnet/chain/index.js";
import { ChainSession, createSuiClient } from "../src/sui/index.js";

const N = 20;
const ONE_SUI = 1_000_000_000n;

async function run(rpcLatencyMs: number) {
  const devnet = await startDevnet({ host: "127.0.0.1", port: 0, rpcLatencyMs });
  const client = createSuiClient(devnet.url);
  try {
    const wallet = async () => {
      const kp = Ed25519Keypair.generate();
      await devnet.faucet(kp.toSuiAddress(), 100n * ONE_SUI);
      return new ChainSession(client, kp, devnet.ids, { gasCoinMist: ONE_SUI + 50_000_000n });
    };

    // Warm both sessions (first coin-pool refill, shared-object versions) outside the timing.
    const serial = await wallet();
    const parallel = await wallet();
    await serial.stakeForNode({ nodeId: "warm-serial", amountMist: ONE_SUI });
    await parallel.stakeForNode({ nodeId: "warm-parallel", amountMist: ONE_SUI });

    let t0 = performance.now();
    for (let i = 0; i < N; i++) await serial.stakeForNode({ nodeId: `serial-${i}`, amountMist: ONE_SUI });
    const serialMs = performance.now() - t0;

    t0 = performance.now();
    await Promise.all(Array.from({ length: N }, (_, i) => parallel.stakeForNode({ nodeId: `parallel-${i}`, amountMist: ONE_SUI })));
    const parallelMs = performance.now() - t0;

    const tps = (ms: number) => (N / (ms / 1000)).toFixed(1);
    console.log(`\n${N} stakes, simulated RPC round trip ${rpcLatencyMs} ms`);
    console.log(`serial:   ${serialMs.toFixed(0)} ms  (${tps(serialMs)} tx/s)`);
    console.log(`parallel: ${parallelMs.toFixed(0)} ms  (${tps(parallelMs)} tx/s)`);
    console.log(`parallel/serial throughput ratio: ${(serialMs / parallelMs).toFixed(2)}x`);
  } finally {
    await devnet.close();
  }
}

async function main() {
  // 0 ms: the loopback devnet, CPU-bound (signing, building, executing all in one process).
  // 100 ms: roughly a client-to-fullnode round trip on testnet, where parallelism pays off.
  for (const latency of [0, 100]) await run(latency);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
