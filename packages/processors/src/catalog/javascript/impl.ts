import { parseConfig } from "../../config.js";
import { failed, type BatchProcessor, type MRecord, type Output, type ProcessorImpl } from "../../sdk.js";
import { userCodePool, type BatchLimits } from "../../user-code/pool.js";
import type { JavascriptTask } from "../../user-code/protocol.js";
import { CodeError } from "./sandbox.js";
import { spec, type JavascriptConfig } from "./spec.js";

const RECORD_KEYS = new Set(["value", "key", "headers"]);

/** `{ value, key?, headers? }` with no other keys: the record form of a result. */
function isRecordForm(v: unknown): v is { value: unknown; key?: unknown; headers?: unknown } {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  if (!Object.prototype.hasOwnProperty.call(v, "value")) return false;
  for (const k in v) if (!RECORD_KEYS.has(k)) return false;
  return true;
}

function headerText(v: unknown): string {
  return typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v);
}

function emitOne(el: unknown, r: MRecord, i: number, out: Output): void {
  if (!isRecordForm(el)) {
    out.emit("success", { key: r.key, value: el, headers: r.headers }, i);
    return;
  }
  let key = r.key;
  if (el.key !== undefined) key = el.key === null ? undefined : headerText(el.key);
  let headers = r.headers;
  const h = el.headers;
  if (h && typeof h === "object" && !Array.isArray(h)) {
    headers = { ...r.headers };
    for (const name in h) {
      if (name.startsWith("mr.")) continue;
      const hv = (h as Record<string, unknown>)[name];
      if (hv === null) delete headers[name];
      else if (hv !== undefined) headers[name] = headerText(hv);
    }
  }
  out.emit("success", { key, value: el.value ?? null, headers }, i);
}

/** A record whose result is larger fails ("output too large"); the stage refuses records over 1 MB anyway. */
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
/**
 * How long past its own per-record limit (which the sandbox enforces by interrupting the code)
 * a record may run before the pool ends the worker: only code stuck where no interrupt reaches.
 */
const WATCHDOG_GRACE_MS = 1000;

/** Refuses code that does not parse, at create(), with the parser's message (parsing runs nothing). */
function checkSyntax(code: string): void {
  try {
    new Function("value", "key", "headers", code);
  } catch (e) {
    throw new CodeError(`javascript code does not compile: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
}

export const impl: ProcessorImpl<JavascriptConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    const c = parseConfig(spec, config);
    checkSyntax(c.code);
    const task: JavascriptTask = { kind: "javascript", code: c.code, timeLimitMs: c.timeLimitMs, memoryLimitMb: c.memoryLimitMb };
    const limits: BatchLimits = { recordTimeoutMs: c.timeLimitMs + WATCHDOG_GRACE_MS, batchTimeoutMs: c.batchTimeLimitMs, maxOutputBytes: MAX_OUTPUT_BYTES };
    return {
      async process(records, out) {
        const res = await userCodePool().run(task, records, 1, limits);
        for (const [level, msg] of res.logs) ctx.log(level as "info" | "warn" | "error", `javascript: ${msg}`);
        const failures = res.failures.length ? new Map(res.failures.map(([i, , reason]) => [i, reason])) : undefined;
        for (let i = 0; i < records.length; i++) {
          const r = records[i]!;
          const err = failures?.get(i);
          if (err !== undefined) {
            out.emit("failure", failed(r, err, ctx.nodeId), i);
            continue;
          }
          const v = res.results[i];
          if (v === null || v === undefined) continue;
          if (Array.isArray(v)) {
            for (let j = 0; j < v.length; j++) if (v[j] !== null && v[j] !== undefined) emitOne(v[j], r, i, out);
          } else emitOne(v, r, i, out);
        }
      },
    };
  },
};
