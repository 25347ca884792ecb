import { writeSync } from "node:fs";
import jsonata from "jsonata";
import { errorMessage, jsonataTruthy, toHeaderString } from "../expr.js";
import type { Sandbox } from "../catalog/javascript/sandbox.js";
import { measureOutput, type OutputMeasure } from "./output-size.js";
import { PROGRESS, PROGRESS_FD, PROGRESS_SLOTS, type ExpressionTask, type JavascriptTask, type JobRequest, type JobResponse, type RecordFailure } from "./protocol.js";

/**
 * A user-code worker process: evaluates one batch per request. It writes which record runs to
 * its progress file (a few bytes the pool reads), so the pool can end it (SIGKILL) in the middle
 * of a record that never returns (a catastrophic regular expression, an endless loop); a record
 * that fills the heap ends the process by itself (V8's out-of-memory is fatal to a process, and
 * to a whole process even from a worker thread: hence processes).
 */

const progress = new Int32Array(PROGRESS_SLOTS);
const progressBytes = new Uint8Array(progress.buffer);
const send = (m: JobResponse): void => {
  process.send!(m);
};

/** Compiled once per worker per source; a deployment's expressions stay few. */
const compiled = new Map<string, jsonata.Expression>();
const MAX_COMPILED = 2000;
const sandboxes = new Map<string, Promise<Sandbox>>();
const MAX_SANDBOXES = 16;
const measure: OutputMeasure = { bytes: 0, hasFunction: false };

function begin(index: number): void {
  progress[PROGRESS.expression] = 0;
  progress[PROGRESS.current] = index;
  progress[PROGRESS.started]! += 1;
  writeSync(PROGRESS_FD, progressBytes, 0, progressBytes.length, 0);
}

function atExpression(e: number): void {
  progress[PROGRESS.expression] = e;
  writeSync(PROGRESS_FD, progressBytes, PROGRESS.expression * 4, 4, PROGRESS.expression * 4);
}

function expression(task: ExpressionTask, source: string): jsonata.Expression {
  const key = `${task.timeoutMs}:${task.maxDepth}:${task.maxSequence}:${source}`;
  let e = compiled.get(key);
  if (!e) {
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    e = jsonata(source, { timeout: task.timeoutMs, stack: task.maxDepth, sequence: task.maxSequence });
    compiled.set(key, e);
  }
  return e;
}

function reasonOf(e: unknown, task: ExpressionTask): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === "D1012") return `expression timed out after ${task.timeoutMs} ms`;
  if (e instanceof RangeError && /call stack/i.test(e.message)) return `expression failed: too deep (call stack exceeded)`;
  const position = (e as { position?: unknown } | null)?.position;
  const where = typeof position === "number" && position > 0 ? ` at position ${position}` : "";
  return `expression failed: ${errorMessage(e)}${where}${typeof code === "string" ? ` [${code}]` : ""}`;
}

/** A value a worker message and the wire can carry: nested functions dropped as JSON would. */
function portable(v: unknown, maxBytes: number): { value?: unknown; reason?: string } {
  if (typeof v === "function") return { reason: "expression returned a function, not a value" };
  if (v === null || typeof v !== "object") {
    if (typeof v === "string" && v.length > maxBytes) return { reason: tooLarge(maxBytes) };
    return { value: v };
  }
  measureOutput(v, maxBytes, measure);
  if (measure.bytes > maxBytes) return { reason: tooLarge(maxBytes) };
  return { value: measure.hasFunction ? JSON.parse(JSON.stringify(v)) : v };
}

function tooLarge(maxBytes: number): string {
  return `output too large (limit ${Math.round(maxBytes / 1024)} KiB per record)`;
}

async function runExpressions(req: JobRequest, task: ExpressionTask, res: JobResponse): Promise<void> {
  const exprs = task.sources.map((s) => expression(task, s));
  const k = exprs.length;
  const { records, indexes, batchDeadline, maxOutputBytes } = req;
  const perRecord = task.mode === "truthy" || task.mode === "first-truthy" ? 1 : k;
  const results = res.results;
  results.length = records.length * perRecord;
  for (let i = 0; i < records.length; i++) {
    const at = indexes ? indexes[i]! : i;
    if (Date.now() > batchDeadline) {
      for (let j = i; j < records.length; j++) res.failures.push([indexes ? indexes[j]! : j, 0, "not run: the batch used its time limit"]);
      return;
    }
    begin(at);
    const r = records[i]!;
    let e = 0;
    try {
      if (task.mode === "first-truthy") {
        let chosen = -1;
        for (; e < k; e++) {
          if (e > 0) atExpression(e);
          if (jsonataTruthy(await exprs[e]!.evaluate(r))) {
            chosen = e;
            break;
          }
        }
        results[i] = chosen;
      } else if (task.mode === "truthy") {
        results[i] = jsonataTruthy(await exprs[0]!.evaluate(r));
      } else {
        for (; e < k; e++) {
          if (e > 0) atExpression(e);
          const v = await exprs[e]!.evaluate(r);
          if (task.mode === "header") {
            const h = v === null ? null : toHeaderString(v);
            if (h !== undefined && h !== null && h.length > maxOutputBytes) throw new OutputError(tooLarge(maxOutputBytes));
            results[i * k + e] = h;
          } else {
            const p = portable(v, maxOutputBytes);
            if (p.reason !== undefined) throw new OutputError(p.reason);
            results[i * k + e] = p.value;
          }
        }
      }
    } catch (err) {
      res.failures.push([at, Math.min(e, k - 1), err instanceof OutputError ? err.message : reasonOf(err, task)]);
    }
  }
}

class OutputError extends Error {}

async function sandboxFor(task: JavascriptTask): Promise<Sandbox> {
  const key = `${task.timeLimitMs}:${task.memoryLimitMb}:${task.code}`;
  let s = sandboxes.get(key);
  if (!s) {
    if (sandboxes.size >= MAX_SANDBOXES) {
      for (const old of sandboxes.values()) void old.then((x) => x.dispose(), () => undefined);
      sandboxes.clear();
    }
    const { Sandbox } = await import("../catalog/javascript/sandbox.js");
    s = Sandbox.create(task.code, { timeLimitMs: task.timeLimitMs, memoryLimitBytes: task.memoryLimitMb * 1024 * 1024, maxStackBytes: 256 * 1024 });
    sandboxes.set(key, s);
    s.catch(() => sandboxes.delete(key));
  }
  return s;
}

async function runJavascript(req: JobRequest, task: JavascriptTask, res: JobResponse): Promise<void> {
  const { records, indexes, batchDeadline, maxOutputBytes } = req;
  const n = records.length;
  let sandbox: Sandbox;
  try {
    sandbox = await sandboxFor(task);
  } catch (e) {
    for (let i = 0; i < n; i++) res.failures.push([indexes ? indexes[i]! : i, 0, errorMessage(e)]);
    return;
  }
  const at = (i: number): number => (indexes ? indexes[i]! : i);
  let json: string;
  try {
    json = JSON.stringify(records);
  } catch {
    // a value that is not JSON (never from the wire): fail it by name, run the rest in the same request
    const ok: number[] = [];
    for (let i = 0; i < n; i++) {
      try {
        JSON.stringify(records[i]);
        ok.push(i);
      } catch (e) {
        res.failures.push([at(i), 0, `the record is not JSON: ${errorMessage(e)}`]);
      }
    }
    const sub: JobResponse = { id: req.id, results: [], failures: res.failures, logs: res.logs };
    await runJavascript({ ...req, records: ok.map((i) => records[i]!), indexes: ok.map(at) }, task, sub);
    res.results.length = n;
    for (let j = 0; j < ok.length; j++) res.results[ok[j]!] = sub.results[j];
    return;
  }
  const out = sandbox.runBatch(json, n, batchDeadline, (i) => begin(at(i)));
  for (const l of out.logs) res.logs.push(l);
  res.results.length = n;
  for (let i = 0; i < n; i++) {
    const err = out.errors.get(i);
    if (err !== undefined) {
      res.failures.push([at(i), 0, err]);
      continue;
    }
    const v = out.values[i];
    measureOutput(v, maxOutputBytes, measure);
    if (measure.bytes > maxOutputBytes) res.failures.push([at(i), 0, tooLarge(maxOutputBytes)]);
    else res.results[i] = v;
  }
}

process.on("message", (req: JobRequest) => {
  const res: JobResponse = { id: req.id, results: [], failures: [], logs: [] };
  const run = req.task.kind === "expression" ? runExpressions(req, req.task, res) : runJavascript(req, req.task, res);
  run.then(
    () => {
      begin(-1);
      send(res);
    },
    (e: unknown) => {
      // a fault of the worker itself, not of one record: every record without an outcome fails
      const failed = new Set(res.failures.map((f: RecordFailure) => f[0]));
      for (let i = 0; i < req.records.length; i++) {
        const at = req.indexes ? req.indexes[i]! : i;
        if (!failed.has(at)) res.failures.push([at, 0, `user code worker failed: ${errorMessage(e)}`]);
      }
      begin(-1);
      send({ id: req.id, results: [], failures: res.failures, logs: res.logs });
    },
  );
});
// the engine went away: so does its worker
process.on("disconnect", () => process.exit(0));
process.send!("ready");
