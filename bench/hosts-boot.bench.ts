// Boot figures for test hosts: 1 vs 3 hosts (setup warm/cold, prepare, boot to SSH-ready, stop).
// run: PATH=$PWD/node_modules/.bin:$PATH node --import tsx bench/hosts-boot.bench.ts [--rounds 2]
import { startHosts } from "../devnet/hosts";
import { ensureSetup } from "../devnet/hosts/setup";

const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1] || 2) || 2;

interface Row { count: number; setupMs: number; prepareMs: number; bootMs: number; perHostBootMs: number[]; sshMs: number; stopMs: number }

async function once(count: number): Promise<Row> {
  const h = await startHosts({ count, namePrefix: "hb", subnet: "10.99.20.0/24" });
  // one SSH round trip
  const { NodeSSH } = await import("node-ssh");
  const ssh = new NodeSSH();
  await ssh.connect({ host: h.hosts[0]!.ip, username: "root", privateKey: h.hosts[0]!.privateKey });
  const t = Date.now();
  await ssh.execCommand("true");
  const sshMs = Date.now() - t;
  ssh.dispose();
  const t1 = Date.now();
  await h.stop();
  return {
    count, setupMs: h.timings.setupMs, prepareMs: h.timings.prepareMs, bootMs: h.timings.bootMs,
    perHostBootMs: h.hosts.map((x) => x.bootMs), sshMs, stopMs: Date.now() - t1,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const s = await ensureSetup({ log: (m) => console.error(`[setup] ${m}`) });
  console.log(`setup: ${s.timings.cold.length ? `cold (${s.timings.cold.join(", ")})` : "warm"} ${s.timings.totalMs} ms`);
  const rows: Row[] = [];
  for (let r = 0; r < rounds; r++) for (const n of [1, 3]) rows.push(await once(n));
  for (const n of [1, 3]) {
    const rs = rows.filter((x) => x.count === n);
    const per = rs.flatMap((x) => x.perHostBootMs);
    console.log(
      `${n} host(s): prepare ${median(rs.map((x) => x.prepareMs))} ms, all SSH-ready ${median(rs.map((x) => x.bootMs))} ms, ` +
        `per-host boot median ${median(per)} ms (min ${Math.min(...per)}, max ${Math.max(...per)}), ` +
        `ssh round trip ${median(rs.map((x) => x.sshMs))} ms, stop ${median(rs.map((x) => x.stopMs))} ms  [${rs.length} rounds]`,
    );
  }
  const one = median(rows.filter((x) => x.count === 1).map((x) => x.bootMs));
  const three = median(rows.filter((x) => x.count === 3).map((x) => x.bootMs));
  console.log(`ratio: 3 hosts take ${(three / one).toFixed(2)}x the wall time of 1 host to be SSH-ready (${(three / 3 / one).toFixed(2)}x per host)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
