import { DEFAULT_CASE_TIMEOUT_MS, parseTestTarget, type FlowDocument, type ProcessorTypeInfo, type TestCase, type TestRecord } from "@millrace/flow";
import type { MRecord, ProcessorContext, ProcessorImpl } from "@millrace/processors";
import { planFlow, type ExecutionPlan } from "../planner/index.js";
import { checkCase, RECORDS_SHOWN, shown, type Mismatch } from "./expectations.js";
import { receivesOnly, runHeadless, type HeadlessRun, type RecordLimits } from "./headless-flow.js";

/**
 * Runs a flow document's test cases headless (see headless-flow.ts): each case on fresh
 * processors and empty tables, within its time limit, its expectations checked against what
 * came out. Never throws for a bad case or flow: that case (or every case) fails with the reason.
 */

export interface CaseResult {
  name: string;
  passed: boolean;
  durationMs: number;
  mismatches: Mismatch[];
  /** the case could not run to its end (a bad reference, its time was up, a node that cannot start) */
  error?: string;
  /** what each expectation's target received (at most OUTPUT_SHOWN records each) */
  outputs: Record<string, TestRecord[]>;
  /** nodes that passed their records through instead of reaching a database or an endpoint */
  stubbed: string[];
}

export interface FlowTestsResult {
  flowId: string;
  cases: CaseResult[];
  passed: number;
  failed: number;
}

export interface RunTestsOptions {
  specs: { get(type: string): ProcessorTypeInfo | undefined };
  implementations: Record<string, ProcessorImpl>;
  /** run only the case of this name */
  only?: string;
  /** no case runs longer than this, whatever its own timeoutMs says */
  maxCaseMs?: number;
  /** all cases together; the cases left when it is reached fail without running */
  totalMs?: number;
  /** how many records a case's nodes may send (default DEFAULT_RECORD_LIMITS) */
  recordLimits?: RecordLimits;
  log?: ProcessorContext["log"];
}

/** Records of one target returned with a result. */
export const OUTPUT_SHOWN = RECORDS_SHOWN;

function failedCase(name: string, error: string, durationMs = 0): CaseResult {
  return { name, passed: false, durationMs, mismatches: [], error, outputs: {}, stubbed: [] };
}

function toRecord(r: TestRecord): MRecord {
  return { ...(r.key === undefined ? {} : { key: r.key }), value: r.value, headers: { ...(r.headers ?? {}) }, ...(r.timestamp === undefined ? {} : { timestamp: r.timestamp }) };
}

/** The case's references against the flow: inputs, each expectation's output, failures. Errors name their path. */
function resolve(c: TestCase, doc: FlowDocument, plan: ExecutionPlan): { inputs: Map<string, MRecord[]>; targets: Map<string, string> } | string {
  const nodeIds = new Set(doc.nodes.map((n) => n.id));
  const planned = new Map(plan.nodes.map((n) => [n.id, n]));
  const inputs = new Map<string, MRecord[]>();
  for (const [id, records] of Object.entries(c.inputs)) {
    const node = planned.get(id);
    if (!node || !nodeIds.has(id)) return `inputs[${JSON.stringify(id)}]: no node "${id}" in the flow`;
    if (node.kind !== "source") return `inputs[${JSON.stringify(id)}]: "${id}" is a ${node.type}, not a source: records go in at sources`;
    inputs.set(id, records.map(toRecord));
  }
  const targets = new Map<string, string>();
  for (const key of Object.keys(c.expect ?? {})) {
    const at = `expect[${JSON.stringify(key)}]`;
    const target = parseTestTarget(key, nodeIds);
    if (!target) return `${at}: no node "${key}" in the flow (a node id, or node.port)`;
    const node = planned.get(target.node)!;
    const ports = node.ports.map((p) => p.port);
    if (target.port === undefined) {
      if (ports.includes("success")) targets.set(key, `${target.node}.success`);
      else if (receivesOnly(node)) targets.set(key, target.node);
      else return `${at}: "${target.node}" has no success port: name one (${ports.map((p) => `${target.node}.${p}`).join(", ")})`;
    } else if (!ports.includes(target.port)) {
      return `${at}: "${target.node}" has no port "${target.port}" (it has ${ports.length ? ports.join(", ") : "none"})`;
    } else targets.set(key, key);
  }
  for (const id of Object.keys(c.failures ?? {})) {
    if (!nodeIds.has(id)) return `failures[${JSON.stringify(id)}]: no node "${id}" in the flow`;
  }
  return { inputs, targets };
}

function outputsOf(run: HeadlessRun, targets: Map<string, string>): Record<string, TestRecord[]> {
  const out: Record<string, TestRecord[]> = {};
  for (const [key, output] of targets) out[key] = (run.outputs.get(output) ?? []).slice(0, OUTPUT_SHOWN).map(shown);
  return out;
}

async function runCase(c: TestCase, doc: FlowDocument, plan: ExecutionPlan, options: RunTestsOptions, limitMs: number): Promise<CaseResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const refs = resolve(c, doc, plan);
  if (typeof refs === "string") return failedCase(c.name, refs);
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<"timeout">((done) => {
    timer = setTimeout(() => {
      abort.abort();
      done("timeout");
    }, limitMs);
  });
  try {
    // the expectations' conditions are the case's work too: the same limit covers them
    const checked = (async () => {
      const run = await runHeadless({ plan, specs: options.specs, implementations: options.implementations, inputs: refs.inputs, signal: abort.signal, log: options.log, limits: options.recordLimits });
      return { run, mismatches: await checkCase(c, run, refs.targets, abort.signal) };
    })();
    const outcome = await Promise.race([checked, timeUp]);
    if (outcome === "timeout") return failedCase(c.name, `ran longer than its ${limitMs} ms limit: stopped (a slow expression or too many records? raise timeoutMs)`, elapsed());
    const { run, mismatches } = outcome;
    return { name: c.name, passed: mismatches.length === 0, durationMs: elapsed(), mismatches, outputs: outputsOf(run, refs.targets), stubbed: run.stubbed };
  } catch (e) {
    return failedCase(c.name, e instanceof Error ? e.message : String(e), elapsed());
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

/** `doc` must have passed validateFlow (the planner relies on it). */
export async function runFlowTests(doc: FlowDocument, options: RunTestsOptions): Promise<FlowTestsResult> {
  let cases = doc.tests ?? [];
  if (options.only !== undefined) cases = cases.filter((c) => c.name === options.only);
  const results: CaseResult[] = [];
  let plan: ExecutionPlan | undefined;
  let planError: string | undefined;
  try {
    plan = planFlow(doc, options.specs);
  } catch (e) {
    planError = `the flow cannot be planned: ${e instanceof Error ? e.message : String(e)}`;
  }
  const deadline = options.totalMs === undefined ? Infinity : Date.now() + options.totalMs;
  for (const c of cases) {
    const left = deadline - Date.now();
    if (!plan) results.push(failedCase(c.name, planError!));
    else if (left <= 0) results.push(failedCase(c.name, "not run: the test run's time was up"));
    else {
      const own = c.timeoutMs ?? DEFAULT_CASE_TIMEOUT_MS;
      results.push(await runCase(c, doc, plan, options, Math.max(1, Math.min(own, options.maxCaseMs ?? own, left))));
    }
  }
  const passed = results.filter((r) => r.passed).length;
  return { flowId: doc.id, cases: results, passed, failed: results.length - passed };
}
