// systemd readiness and watchdog (Type=notify, WatchdogSec= in the unit). Node has no unix
// datagram sockets, so the messages go through systemd's own `systemd-notify`, run as our child
// with --pid= naming this process (the main PID). The unit's NotifyAccess=all accepts messages
// from any process of the unit, and systemd-notify waits until systemd has processed its message,
// so the short-lived sender is still attributed to the unit (verified on a real systemd:
// test/hosts/agent-watchdog.test.ts).
// The watchdog pings come from a self-rescheduling loop on this event loop: a hung or stopped
// agent stops pinging, and systemd kills and restarts it.
import { run } from "./exec";
import type { Logger } from "./log";
import { Loop } from "./loop";

export interface Notifier {
  /** READY=1 once the API serves. */
  ready(): Promise<void>;
  /** STOPPING=1 at shutdown; also ends the watchdog pings. */
  stopping(): Promise<void>;
  /** The ping period, or null when systemd asked for no watchdog. */
  readonly watchdogMs: number | null;
}

export interface NotifierOptions {
  env: Record<string, string | undefined>;
  log: Logger;
  /** The sender; tests and hosts without it in PATH may point elsewhere. */
  command?: string;
  pid?: number;
}

/** The watchdog interval systemd set for this process, in ms, or null. */
export function watchdogIntervalMs(env: Record<string, string | undefined>, pid: number): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return null;
  // WATCHDOG_PID, when present, names the process the watchdog is for (not a child of ours).
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return null;
  return Math.max(100, Math.floor(usec / 1000));
}

/** No NOTIFY_SOCKET (not under systemd, or Type=simple): every call is a no-op. */
export function createNotifier(o: NotifierOptions): Notifier {
  const pid = o.pid ?? process.pid;
  if (!o.env.NOTIFY_SOCKET) return { ready: async () => {}, stopping: async () => {}, watchdogMs: null };
  const cmd = o.command ?? "systemd-notify";
  const send = (...msg: string[]) => run(cmd, [`--pid=${pid}`, ...msg], 5_000);
  const watchdogMs = watchdogIntervalMs(o.env, pid);
  // Half the interval, as sd_watchdog_enabled(3) advises, so one late ping is not a restart.
  const pings = watchdogMs === null ? undefined : new Loop({
    intervalMs: Math.floor(watchdogMs / 2),
    jitter: 0,
    maxBackoffMs: Math.floor(watchdogMs / 2),
    run: async () => {
      await send("WATCHDOG=1");
      return true;
    },
    onError: (err) => o.log.warn("systemd watchdog ping failed", { err }),
  });
  return {
    watchdogMs,
    async ready() {
      try {
        await send("READY=1", "STATUS=serving the node API");
      } catch (err) {
        o.log.error("could not tell systemd the agent is ready", { err });
      }
      pings?.start(Math.floor((watchdogMs ?? 0) / 2));
    },
    async stopping() {
      await pings?.stop();
      await send("STOPPING=1").catch((err: unknown) => o.log.debug("could not tell systemd the agent is stopping", { err }));
    },
  };
}
