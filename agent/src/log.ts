// Structured JSON logs, one object per line. The redaction guard is the last line of defence:
// every registered secret (seal token id, API token, worker key material) is replaced in the
// serialised line, whatever field or error message it slipped into.
export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  /** Register a value that must never appear in output (min length 8, to avoid mangling). */
  addSecret(secret: string): void;
}

interface Sink {
  level: LogLevel;
  secrets: Set<string>;
  write: (line: string) => void;
}

function serialise(v: unknown): unknown {
  if (v instanceof Error) {
    // A string code says what kind of failure it was (ECONNREFUSED, a gRPC status such as
    // UNAUTHENTICATED: the node wants an API key); the message alone may not.
    const code = (v as { code?: unknown }).code;
    return { name: v.name, message: v.message, ...(typeof code === "string" ? { code } : {}) };
  }
  if (typeof v === "bigint") return v.toString();
  return v;
}

function makeLogger(sink: Sink, bound: Record<string, unknown>): Logger {
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < ORDER[sink.level]) return;
    let line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...bound, ...fields }, (_k, v) =>
      serialise(v),
    );
    for (const s of sink.secrets) if (line.includes(s)) line = line.split(s).join("[redacted]");
    sink.write(line + "\n");
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => makeLogger(sink, { ...bound, ...fields }),
    addSecret: (s) => {
      if (s.length >= 8) sink.secrets.add(s);
    },
  };
}

export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (l) => process.stdout.write(l),
): Logger {
  return makeLogger({ level, secrets: new Set(), write }, {});
}
