import { parseConfig } from "../../config.js";
import { failed, type BatchProcessor, type MRecord, type Output, type ProcessorImpl } from "../../sdk.js";
import { Sandbox } from "./sandbox.js";
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

export const impl: ProcessorImpl<JavascriptConfig> = {
  type: spec.type,
  async create(config, ctx): Promise<BatchProcessor> {
    const c = parseConfig(spec, config);
    const sandbox = await Sandbox.create(c.code, {
      timeLimitMs: c.timeLimitMs,
      batchTimeLimitMs: c.batchTimeLimitMs,
      memoryLimitBytes: c.memoryLimitMb * 1024 * 1024,
      maxStackBytes: 256 * 1024,
    });
    const proc: BatchProcessor = {
      process(records, out): void {
        const n = records.length;
        let json: string;
        try {
          json = JSON.stringify(records);
        } catch {
          // a value that is not JSON (should not happen on the wire): find it, run the rest
          const ok: number[] = [];
          for (let i = 0; i < n; i++) {
            try {
              JSON.stringify(records[i]);
              ok.push(i);
            } catch (e) {
              out.emit("failure", failed(records[i], `the record is not JSON: ${String(e)}`, ctx.nodeId), i);
            }
          }
          const sub = ok.map((i) => records[i]);
          proc.process(sub, { emit: (port, rec, parent) => out.emit(port, rec, parent < 0 ? parent : ok[parent]) });
          return;
        }
        const res = sandbox.runBatch(json, n);
        for (const [level, msg] of res.logs) ctx.log(level as "info" | "warn" | "error", `javascript: ${msg}`);
        for (let i = 0; i < n; i++) {
          const r = records[i];
          const err = res.errors.get(i);
          if (err !== undefined) {
            out.emit("failure", failed(r, err, ctx.nodeId), i);
            continue;
          }
          const v = res.values[i];
          if (v === null || v === undefined) continue;
          if (Array.isArray(v)) {
            for (let j = 0; j < v.length; j++) if (v[j] !== null && v[j] !== undefined) emitOne(v[j], r, i, out);
          } else emitOne(v, r, i, out);
        }
      },
      close() {
        sandbox.dispose();
      },
    };
    return proc;
  },
};
