import { logLevel, type logCreator, type LogEntry } from "kafkajs";
import { logger, type Logger } from "../log.js";
import type { KafkaLogger, KafkaLogLevel } from "./types.js";

const RANK: Record<KafkaLogLevel, number> = { nothing: 0, error: 1, warn: 2, info: 3, debug: 4 };

/** kafkajs's own entries (what passes `quietLogCreator`'s threshold) as lines of `log`, their fields kept. */
export function kafkaLoggerFor(log: Logger): KafkaLogger {
  return {
    debug: (msg, extra) => log.debug(fields(extra), msg),
    info: (msg, extra) => log.info(fields(extra), msg),
    warn: (msg, extra) => log.warn(fields(extra), msg),
    error: (msg, extra) => log.error(fields(extra), msg),
  };
}

/** for clients made without an engine's logger (tools, tests) */
export const engineKafkaLogger = kafkaLoggerFor(logger.child({ module: "kafkajs" }));

// kafkajs passes a thrown Error as `error` (and its `stack` beside it); under `err` the logger
// serializes its message and stack once.
function fields(extra?: Record<string, unknown>): Record<string, unknown> {
  if (!extra) return {};
  const { error, stack: _stack, ...rest } = extra;
  return error instanceof Error ? { ...rest, err: error } : extra;
}

function fromKafkajs(level: logLevel): KafkaLogLevel {
  switch (level) {
    case logLevel.ERROR:
      return "error";
    case logLevel.WARN:
      return "warn";
    case logLevel.INFO:
      return "info";
    case logLevel.DEBUG:
      return "debug";
    default:
      return "nothing";
  }
}

export function toKafkajsLevel(level: KafkaLogLevel): logLevel {
  return { nothing: logLevel.NOTHING, error: logLevel.ERROR, warn: logLevel.WARN, info: logLevel.INFO, debug: logLevel.DEBUG }[level];
}

/**
 * kafkajs logs every failed request it is about to retry, and every rebalance, as an
 * ERROR; callers see real failures as thrown errors anyway. Those entries are demoted.
 */
export function demote(entry: Pick<LogEntry, "namespace" | "level" | "log">): KafkaLogLevel {
  const level = fromKafkajs(entry.level);
  const msg = entry.log.message ?? "";
  if (entry.namespace === "Connection" && msg.startsWith("Response ")) return "debug";
  // A failed batch (eachBatch threw) is logged by the stage runner with its flow and stage.
  if (msg === "Error when calling eachBatch") return "debug";
  if (/rebalanc|re-joining|Restarting the consumer|leader is not available|not the leader|Coordinator is loading|CONCURRENT_TRANSACTIONS|There is no listener/i.test(msg)) {
    return level === "error" || level === "warn" ? "info" : level;
  }
  return level;
}

/** A kafkajs logCreator routing to `logger`, keeping entries at or above `threshold` after demotion. */
export function quietLogCreator(logger: KafkaLogger, threshold: KafkaLogLevel): logCreator {
  const max = RANK[threshold];
  return () => (entry: LogEntry) => {
    const level = demote(entry);
    if (level === "nothing" || RANK[level] > max) return;
    const { message, timestamp: _ts, logger: _l, ...extra } = entry.log as { message: string; timestamp: string; logger?: unknown; [k: string]: unknown };
    logger[level](`${entry.namespace ? `${entry.namespace}: ` : ""}${message}`, extra);
  };
}
