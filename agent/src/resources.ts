// Real resource figures (the original reported constants): CPU from /proc/stat deltas between
// samples, memory from /proc/meminfo (MemAvailable, which counts reclaimable cache), disk from
// statfs, network from /proc/net/dev (all interfaces but loopback).
import { readFile, statfs } from "node:fs/promises";
import os from "node:os";
import type { ResourceUsage } from "./protocol";

interface CpuSample { idle: number; total: number }
interface NetSample { rx: number; tx: number; at: number }

async function readCpu(): Promise<CpuSample> {
  try {
    const line = (await readFile("/proc/stat", "utf8")).split("\n", 1)[0] ?? "";
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0); // idle + iowait
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  } catch {
    // Non-Linux fallback: os.cpus() times are the same counters, per core.
    let idle = 0, total = 0;
    for (const c of os.cpus()) {
      idle += c.times.idle;
      total += c.times.idle + c.times.user + c.times.nice + c.times.sys + c.times.irq;
    }
    return { idle, total };
  }
}

async function readMemory(): Promise<{ total: number; used: number }> {
  try {
    const text = await readFile("/proc/meminfo", "utf8");
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? NaN) * 1024;
    const total = kb("MemTotal"), avail = kb("MemAvailable");
    if (Number.isFinite(total) && Number.isFinite(avail)) return { total, used: total - avail };
  } catch { /* fall through */ }
  return { total: os.totalmem(), used: os.totalmem() - os.freemem() };
}

async function readNet(): Promise<NetSample> {
  let rx = 0, tx = 0;
  try {
    for (const line of (await readFile("/proc/net/dev", "utf8")).split("\n").slice(2)) {
      const [name, rest] = line.split(":");
      if (!name || rest === undefined || name.trim() === "lo") continue;
      const f = rest.trim().split(/\s+/).map(Number);
      rx += f[0] ?? 0;
      tx += f[8] ?? 0;
    }
  } catch { /* no procfs: report zeros rather than fail the beat */ }
  return { rx, tx, at: Date.now() };
}

const pct = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 10_000) / 100 : 0);

export class ResourceSampler {
  private lastCpu: CpuSample | undefined;
  private lastNet: NetSample | undefined;
  /**
   * Bytes of the data filesystem free for unprivileged use (statfs bavail, what `df` shows as
   * available and the kubelet's nodefs.available counts), as of the last sample; not in
   * ResourceUsage, which is the heartbeat's wire shape. null before the first sample.
   */
  diskAvailableBytes: number | null = null;

  constructor(private readonly diskPath: string) {}

  async sample(): Promise<ResourceUsage> {
    const [cpu, mem, disk, net] = await Promise.all([readCpu(), readMemory(), statfs(this.diskPath), readNet()]);
    // First call: compare with boot (the counters' origin), i.e. average since boot.
    const prevCpu = this.lastCpu ?? { idle: 0, total: 0 };
    const dTotal = cpu.total - prevCpu.total, dIdle = cpu.idle - prevCpu.idle;
    const prevNet = this.lastNet;
    const secs = prevNet ? Math.max((net.at - prevNet.at) / 1000, 0.001) : 0;
    this.lastCpu = cpu;
    this.lastNet = net;
    const diskTotal = disk.blocks * disk.bsize;
    const diskUsed = (disk.blocks - disk.bfree) * disk.bsize;
    this.diskAvailableBytes = disk.bavail * disk.bsize;
    return {
      cpu_percent: pct(dTotal - dIdle, dTotal),
      cpu_cores: os.availableParallelism(),
      load_avg_1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
      memory_total_bytes: mem.total,
      memory_used_bytes: mem.used,
      memory_percent: pct(mem.used, mem.total),
      disk_total_bytes: diskTotal,
      disk_used_bytes: diskUsed,
      disk_percent: pct(diskUsed, diskTotal),
      network_rx_bytes: net.rx,
      network_tx_bytes: net.tx,
      network_rx_bytes_per_sec: prevNet && secs > 0 ? Math.round(Math.max(0, net.rx - prevNet.rx) / secs) : 0,
      network_tx_bytes_per_sec: prevNet && secs > 0 ? Math.round(Math.max(0, net.tx - prevNet.tx) / secs) : 0,
    };
  }
}
