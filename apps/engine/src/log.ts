// The engine's one logger. Modules take a child of it that names them and binds the ids an
// operator filters by: `logger.child({ module: "runtime", flowId, stageId, engineId })`.
// Output is JSON lines (for log stores) unless stdout is a terminal, where it is pretty-printed.
import { pino, type DestinationStream, type Logger } from "pino";
import { isColorSupported, prettyFactory } from "pino-pretty";

export type { Logger } from "pino";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `MILLRACE_LOG_LEVEL` (default info); an unknown value fails with the allowed levels named. */
export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const raw = env.MILLRACE_LOG_LEVEL;
  if (raw === undefined || raw.trim() === "") return "info";
  const level = raw.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  throw new Error(`MILLRACE_LOG_LEVEL=${raw} is not a log level; use one of: ${LOG_LEVELS.join(", ")}`);
}

// Defence in depth: no code path should log a secret, but if an object carrying one is logged
// anyway, its value never reaches the log store.
const SECRET_KEYS = ["password", "secret", "token", "authorization", "cookie", "apiKey"];
export const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

/** Bound on child loggers; the pretty format shows them in the line's prefix instead of as fields. */
const CONTEXT_KEYS = ["module", "flowId", "stageId", "nodeId"] as const;

export interface LoggerOptions {
  level?: LogLevel;
  /** pretty lines (a terminal) instead of JSON lines */
  pretty?: boolean;
  /** default: stdout, written synchronously */
  destination?: DestinationStream;
}

export function createLogger(o: LoggerOptions = {}): Logger {
  // Synchronous writes: the last lines before a crash or process.exit are the ones that matter.
  const out = o.destination ?? pino.destination({ dest: 1, sync: true });
  const options = {
    level: o.level ?? "info",
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return pino(options, o.pretty ? prettyStream(out) : out);
}

// pino-pretty's formatter called in-process (not its worker-thread transport, whose buffered
// lines are lost when the process exits or crashes).
function prettyStream(out: DestinationStream): DestinationStream {
  const prettify = prettyFactory({
    colorize: isColorSupported,
    translateTime: "SYS:HH:MM:ss.l",
    singleLine: true,
    ignore: ["pid", "hostname", "engineId", ...CONTEXT_KEYS].join(","),
    messageFormat: (log, messageKey) => {
      const ctx = CONTEXT_KEYS.filter((k) => k !== "module" && log[k] !== undefined).map((k) => `${k.replace(/Id$/, "")} ${String(log[k])}`);
      const where = [log.module, ...ctx].filter(Boolean).join(" ");
      return `${where ? `[${where}] ` : ""}${String(log[messageKey] ?? "")}`;
    },
  });
  return { write: (line: string) => out.write(prettify(line)) };
}

function levelOrDefault(): LogLevel {
  try {
    return logLevelFromEnv();
  } catch {
    return "info"; // main.ts calls logLevelFromEnv() itself and refuses to start
  }
}

export const logger: Logger = createLogger({ level: levelOrDefault(), pretty: process.stdout.isTTY === true });

/** The message of an unknown thrown value, for a log line's text (the error itself goes under `err`). */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
