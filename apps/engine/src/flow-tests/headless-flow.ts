import { connectionFieldsOf, secretFields, type ProcessorTypeInfo } from "@millrace/flow";
import { failed, isSourceProcessor, isTransientError, type BatchProcessor, type KeyValueState, type MRecord, type Output, type ProcessorContext, type ProcessorImpl } from "@millrace/processors";
import type { ExecutionPlan, PlannedNode } from "../planner/index.js";
import { MAX_KEY_BYTES } from "../state/store.js";

/**
 * One flow run without Kafka, an engine or a database: every node's implementation is created
 * as the stages create it (same config, parameters substituted by the planner), fed in batches
 * in topological order, and what each port sends is kept instead of written. Sources are replaced
 * by given records; nodes that would reach a database, an endpoint or the engine's files, and
 * nodes that hold secrets, pass their records through to `success` (they are where the records
 * would be written), so no connection is ever opened, no file touched and no secret used.
 */

/** Records per process() call, as a stage's batch would hold. */
export const HEADLESS_BATCH = 500;

/** How many records a run's nodes may send: every one is kept, so a run that would send more fails. */
export interface RecordLimits {
  perNode: number;
  perRun: number;
}

export const DEFAULT_RECORD_LIMITS: RecordLimits = { perNode: 50_000, perRun: 100_000 };

/** What one run captured. */
export interface HeadlessRun {
  /** records each port sent, by `node.port`; a node that sends nothing on (receivesOnly): the records it received, by node id */
  outputs: Map<string, MRecord[]>;
  /** records that went to a failure port no edge leaves (the dead letter), by the node that failed them */
  deadLetters: Map<string, MRecord[]>;
  /** records that failed, by the node that failed them, wherever they went */
  failures: Map<string, MRecord[]>;
  /** nodes that ran as pass-throughs instead of their implementation */
  stubbed: string[];
}

export interface HeadlessOptions {
  plan: ExecutionPlan;
  specs: { get(type: string): ProcessorTypeInfo | undefined };
  implementations: Record<string, ProcessorImpl>;
  /** records per source node id */
  inputs: ReadonlyMap<string, MRecord[]>;
  /** aborted when the run must stop (its time is up) */
  signal: AbortSignal;
  log?: ProcessorContext["log"];
  limits?: RecordLimits;
}

export class HeadlessRunError extends Error {}

/**
 * A node's table, in memory: a failed process() call's writes are discarded, as the stage's are,
 * and what the engine's store refuses (state/store.ts, state/pending.ts) is refused here too, so
 * a case does not pass where the deployed flow fails its records.
 */
class MemoryState implements KeyValueState {
  readonly rows = new Map<string, unknown>();
  private pending = new Map<string, unknown>();
  private static readonly DELETED = Symbol("deleted");

  constructor(private readonly nodeId: string) {}

  private validateKey(key: string): void {
    const at = `the table of "${this.nodeId}"`;
    if (typeof key !== "string" || key === "") throw new Error(`${at}: key ${JSON.stringify(key)} is not a non-empty string`);
    if (key.includes("\u0000")) throw new Error(`${at}: key ${JSON.stringify(key)} contains \\u0000, which the store cannot hold`);
    if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new Error(`${at}: key of ${Buffer.byteLength(key)} bytes (starting ${JSON.stringify(key.slice(0, 40))}) is longer than ${MAX_KEY_BYTES} bytes`);
  }

  get(key: string): unknown {
    if (this.pending.has(key)) {
      const v = this.pending.get(key);
      return v === MemoryState.DELETED ? undefined : v;
    }
    return this.rows.get(key);
  }
  put(key: string, value: unknown): void {
    if (value === null || value === undefined) throw new Error(`the table of "${this.nodeId}": key ${JSON.stringify(key)} gets no value (use delete)`);
    this.validateKey(key);
    this.pending.set(key, value);
  }
  delete(key: string): void {
    this.validateKey(key);
    this.pending.set(key, MemoryState.DELETED);
  }
  commit(): void {
    for (const [k, v] of this.pending) {
      if (v === MemoryState.DELETED) this.rows.delete(k);
      else this.rows.set(k, v);
    }
    this.pending.clear();
  }
  discard(): void {
    this.pending.clear();
  }
}

/** A type that can name a database or an endpoint connection, or holds a secret, never runs headless. */
function reachesOutside(spec: ProcessorTypeInfo): boolean {
  return secretFields(spec.configSchema).length > 0 || connectionFieldsOf(spec.configSchema).some((f) => f.type === "postgres" || f.type === "http");
}

const passThrough: BatchProcessor = {
  process(records, out) {
    for (let i = 0; i < records.length; i++) out.emit("success", records[i]!, i);
  },
};

interface Step {
  node: PlannedNode;
  processor: BatchProcessor | undefined;
  state: MemoryState | undefined;
  /** port → target nodes of the edges leaving it */
  targets: Map<string, string[]>;
  queue: MRecord[];
  /** records this node has sent so far */
  sent: number;
}

/** What a run's steps share. */
interface Running {
  run: HeadlessRun;
  steps: Map<string, Step>;
  signal: AbortSignal;
  limits: RecordLimits;
  /** records every node together has sent so far */
  sent: number;
}

/** A node that sends nothing on (a log): what it received is what a test reads of it. */
export function receivesOnly(node: PlannedNode): boolean {
  return node.ports.every((p) => p.port === "failure");
}

/** Nodes in an order where each follows its upstream nodes and the tables it looks rows up in. */
function topologicalOrder(plan: ExecutionPlan): PlannedNode[] {
  const before = new Map<string, Set<string>>(plan.nodes.map((n) => [n.id, new Set<string>()]));
  for (const e of plan.edges) before.get(e.to)?.add(e.from.node);
  for (const n of plan.nodes) {
    if (!n.lookup?.changelog) continue;
    const table = plan.nodes.find((t) => t.state?.changelogTopic === n.lookup!.topic);
    if (table) before.get(n.id)!.add(table.id);
  }
  const order: PlannedNode[] = [];
  const done = new Set<string>();
  let progressed = true;
  while (order.length < plan.nodes.length && progressed) {
    progressed = false;
    for (const n of plan.nodes) {
      if (done.has(n.id) || [...before.get(n.id)!].some((b) => !done.has(b))) continue;
      order.push(n);
      done.add(n.id);
      progressed = true;
    }
  }
  if (order.length < plan.nodes.length) throw new HeadlessRunError("the flow has a cycle");
  return order;
}

function push(map: Map<string, MRecord[]>, key: string, record: MRecord): void {
  const list = map.get(key);
  if (list) list.push(record);
  else map.set(key, [record]);
}

const timeUp = () => new HeadlessRunError("stopped: the time is up");

export async function runHeadless(options: HeadlessOptions): Promise<HeadlessRun> {
  const { plan, signal } = options;
  const run: HeadlessRun = { outputs: new Map(), deadLetters: new Map(), failures: new Map(), stubbed: [] };
  const steps = new Map<string, Step>();
  const running: Running = { run, steps, signal, limits: options.limits ?? DEFAULT_RECORD_LIMITS, sent: 0 };
  const closers: (() => unknown)[] = [];
  try {
    for (const node of topologicalOrder(plan)) {
      const targets = new Map<string, string[]>();
      for (const e of plan.edges) if (e.from.node === node.id) targets.set(e.from.port, [...(targets.get(e.from.port) ?? []), e.to]);
      steps.set(node.id, { node, processor: undefined, state: node.state ? new MemoryState(node.id) : undefined, targets, queue: [], sent: 0 });
    }
    for (const step of steps.values()) step.processor = await create(step, steps, options, run, closers);
    for (const [nodeId, records] of options.inputs) {
      const step = steps.get(nodeId);
      if (!step) throw new HeadlessRunError(`no node "${nodeId}" in the flow`);
      emitAll(step, records.map((r, i) => ["success", r, i] as const), running);
    }
    for (const step of steps.values()) {
      if (!step.processor) continue;
      const queue = step.queue;
      step.queue = [];
      if (receivesOnly(step.node)) for (const r of queue) push(run.outputs, step.node.id, r);
      for (let from = 0; from < queue.length; from += HEADLESS_BATCH) {
        if (signal.aborted) throw timeUp();
        await runBatch(step, queue.slice(from, from + HEADLESS_BATCH), running);
      }
    }
    return run;
  } finally {
    for (const close of closers) {
      try {
        await close();
      } catch {
        // a processor that cannot close cleanly must not hide the case's outcome
      }
    }
  }
}

async function create(step: Step, steps: Map<string, Step>, options: HeadlessOptions, run: HeadlessRun, closers: (() => unknown)[]): Promise<BatchProcessor | undefined> {
  const node = step.node;
  if (node.kind === "source" || node.runner) return undefined;
  const spec = options.specs.get(node.type);
  if (!spec) throw new HeadlessRunError(`node "${node.id}": unknown processor type "${node.type}"`);
  const stub = () => {
    run.stubbed.push(node.id);
    return passThrough;
  };
  if (reachesOutside(spec)) return stub();
  const impl = options.implementations[node.type];
  if (!impl) throw new HeadlessRunError(`node "${node.id}": no implementation of "${node.type}"`);
  // a node that asks for the files directory reads or writes the engine's files: a test never does
  let wantsFiles = false;
  const ctx: ProcessorContext = {
    flowId: options.plan.flowId,
    nodeId: node.id,
    signal: options.signal,
    log: options.log ?? (() => {}),
    get filesDir() {
      wantsFiles = true;
      return undefined;
    },
  };
  if (node.lookup) {
    const table = [...steps.values()].find((s) => s.node.state?.changelogTopic === node.lookup!.topic);
    // a table of the flow is filled by this run; a compacted topic outside it has no rows here
    ctx.lookup = table?.state ? (key) => table.state!.get(key) : () => undefined;
  }
  let processor: BatchProcessor;
  try {
    const created = await impl.create(node.config, ctx);
    if (isSourceProcessor(created)) throw new Error("it is a source");
    processor = created;
  } catch (e) {
    if (wantsFiles) return stub();
    throw new HeadlessRunError(`node "${node.id}" could not be created: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (processor.close) closers.push(() => processor.close!());
  return wantsFiles ? stub() : processor;
}

type Emitted = readonly [port: string, record: MRecord, parent: number];

/** How many more records the node may send in this run. */
function room(step: Step, running: Running): number {
  return Math.min(running.limits.perNode - step.sent, running.limits.perRun - running.sent);
}

function tooMany(step: Step, running: Running): HeadlessRunError {
  const { perNode, perRun } = running.limits;
  const which = perNode - step.sent <= perRun - running.sent ? `node "${step.node.id}" sent more than ${perNode} records` : `the flow's nodes sent more than ${perRun} records in all`;
  return new HeadlessRunError(`${which}: a test run keeps every record, at most ${perNode} per node and ${perRun} in all (fewer input records?)`);
}

/** As the stage runs a batch: a call that throws is run again record by record, those that still throw fail. */
async function runBatch(step: Step, inputs: MRecord[], running: Running): Promise<void> {
  const nodeId = step.node.id;
  const processor = step.processor!;
  const limit = room(step, running);
  // past the limit records are not even collected: the run fails once the call returns
  let overflow = false;
  let emitted: Emitted[] = [];
  const collect = (into: Emitted[], offset: number): Output => ({
    emit(port, record, parent) {
      if (into.length >= limit) {
        overflow = true;
        return;
      }
      // as the runner does: a derived record keeps its input's timestamp unless it has its own
      const from = inputs[parent + offset]?.timestamp;
      into.push([port, record.timestamp === undefined && from !== undefined ? { ...record, timestamp: from } : record, parent + offset]);
    },
  });
  try {
    await processor.process(inputs, collect(emitted, 0), step.state);
    if (overflow) throw tooMany(step, running);
    step.state?.commit();
  } catch (e) {
    if (e instanceof HeadlessRunError) throw e;
    if (isTransientError(e)) throw new HeadlessRunError(`node "${nodeId}": ${e instanceof Error ? e.message : String(e)}`);
    emitted = [];
    step.state?.discard();
    for (let i = 0; i < inputs.length; i++) {
      if (overflow || emitted.length > limit) throw tooMany(step, running);
      if (running.signal.aborted) throw timeUp();
      const sub: Emitted[] = [];
      try {
        await processor.process([inputs[i]!], collect(sub, i), step.state);
        step.state?.commit();
        for (const e of sub) emitted.push(e);
      } catch (err) {
        step.state?.discard();
        if (isTransientError(err)) throw new HeadlessRunError(`node "${nodeId}": ${err instanceof Error ? err.message : String(err)}`);
        emitted.push(["failure", failed(inputs[i]!, err instanceof Error ? err.message : String(err), nodeId), i]);
      }
    }
  }
  if (overflow) throw tooMany(step, running);
  emitAll(step, emitted, running);
}

/** How many records are passed on between two looks at the signal. */
const SIGNAL_EVERY = 1024;

function emitAll(step: Step, emitted: readonly Emitted[], running: Running): void {
  if (emitted.length > room(step, running)) throw tooMany(step, running);
  step.sent += emitted.length;
  running.sent += emitted.length;
  const { run, steps, signal } = running;
  const nodeId = step.node.id;
  for (let i = 0; i < emitted.length; i++) {
    if (i % SIGNAL_EVERY === 0 && signal.aborted) throw timeUp();
    const [port, record] = emitted[i]!;
    push(run.outputs, `${nodeId}.${port}`, record);
    const targets = step.targets.get(port);
    if (port === "failure") {
      push(run.failures, nodeId, record);
      if (!targets) push(run.deadLetters, nodeId, record);
    }
    if (targets) for (const t of targets) steps.get(t)!.queue.push(record);
  }
}
