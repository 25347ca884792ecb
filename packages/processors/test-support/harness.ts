/**
 * A NiFi-TestRunner-like harness (node only, for tests): run one processor's real implementation
 * on records, or a whole flow document on an in-memory broker. Lineage ids are assigned the way a
 * runner does: every emitted record gets a fresh HEADER.id and its parent's id in HEADER.parents.
 */
import { FlowDocumentSchema, type FlowDocument } from "@millrace/flow";
import { catalog } from "../src/index.js";
import { implementations } from "../src/runtime.js";
import { parseConfig } from "../src/config.js";
import {
  HEADER,
  isOfferableSource,
  isSourceProcessor,
  type BatchProcessor,
  type MRecord,
  type ProcessorContext,
  type ProcessorSpec,
  type SourceProcessor,
} from "../src/sdk.js";

export interface LogLine {
  nodeId: string;
  level: "info" | "warn" | "error";
  msg: string;
}

/** Hands out lineage ids: `<prefix>-<n>`. */
export class Lineage {
  private n = 0;
  constructor(private readonly prefix = "r") {}
  next(): string {
    return `${this.prefix}-${++this.n}`;
  }
  /** A copy of `r` with a new id and `parent`'s id (if any) as parents. */
  stamp(r: MRecord, parent?: MRecord): MRecord {
    const headers: Record<string, string> = { ...r.headers, [HEADER.id]: this.next() };
    const pid = parent?.headers[HEADER.id];
    if (pid) headers[HEADER.parents] = pid;
    else delete headers[HEADER.parents];
    const out: MRecord = { value: r.value, headers };
    if (r.key !== undefined) out.key = r.key;
    return out;
  }
  /** Gives `r` an id when it has none (records entering from outside). */
  ensureId(r: MRecord): MRecord {
    if (r.headers?.[HEADER.id]) return r;
    return { ...r, headers: { ...(r.headers ?? {}), [HEADER.id]: this.next() } };
  }
}

function specOf(type: string): ProcessorSpec {
  const spec = catalog.get(type);
  const impl = implementations[type];
  if (!spec || !impl) throw new Error(`unknown processor type '${type}'`);
  return spec;
}

function makeCtx(nodeId: string, flowId: string, logs: LogLine[], signal: AbortSignal): ProcessorContext {
  return { flowId, nodeId, signal, log: (level, msg) => logs.push({ nodeId, level, msg }) };
}

/** Runs one batch through a BatchProcessor, checking ports and parent indexes like a runner. */
async function runBatch(
  nodeId: string,
  proc: BatchProcessor,
  ports: readonly string[],
  batch: readonly MRecord[],
  lineage: Lineage,
  sink: (port: string, rec: MRecord) => void,
): Promise<void> {
  const emitted: [string, MRecord, number][] = [];
  await proc.process(batch, {
    emit(port, record, parent) {
      if (!ports.includes(port)) throw new Error(`${nodeId} emitted to undeclared port '${port}' (ports: ${ports.join(", ") || "none"})`);
      if (!Number.isInteger(parent) || parent < -1 || parent >= batch.length) throw new Error(`${nodeId} emitted with bad parent index ${parent}`);
      emitted.push([port, record, parent]);
    },
  });
  // outputs of a batch that threw are discarded, as a runner does (it retries the batch)
  for (const [port, record, parent] of emitted) sink(port, lineage.stamp(record, parent >= 0 ? batch[parent] : undefined));
}

export interface RunProcessorOptions {
  nodeId?: string;
  flowId?: string;
  /** records per process() call (default: all at once) */
  batchSize?: number;
  /** sources: the checkpoint given to open() */
  checkpoint?: unknown;
  /** sources: stop after this many records (default 1000) */
  maxRecords?: number;
  /** sources: stop after this long (default 5000 ms) */
  timeoutMs?: number;
  /** sources: records per poll (default 100) */
  pollMax?: number;
  /** http-listen: records offered before polling */
  offer?: MRecord[];
  /** the engine's network policy handed to the processor */
  network?: ProcessorContext["network"];
  /** the connection the runtime opened for the node's `connection` field */
  connection?: ProcessorContext["connection"];
}

export interface RunProcessorResult {
  ports: Record<string, MRecord[]>;
  logs: LogLine[];
  /** sources: the last checkpoint returned by poll() */
  checkpoint?: unknown;
  /** sources: whether poll() said done */
  done?: boolean;
  /** http-listen: how many offered records were accepted */
  accepted?: number;
}

/**
 * Runs the real implementation of `type` on `records` (transforms/sinks) or polls it (sources)
 * and returns what each output port received (every declared port is present).
 */
export async function runProcessor(type: string, config: unknown, records: MRecord[] = [], opts: RunProcessorOptions = {}): Promise<RunProcessorResult> {
  const spec = specOf(type);
  const nodeId = opts.nodeId ?? type;
  const logs: LogLine[] = [];
  const ac = new AbortController();
  const parsed = parseConfig(spec, config);
  const portNames = spec.outputPorts(parsed);
  const ports: Record<string, MRecord[]> = Object.fromEntries(portNames.map((p) => [p, [] as MRecord[]]));
  const lineage = new Lineage(nodeId);
  const proc = await implementations[type].create(parsed, { ...makeCtx(nodeId, opts.flowId ?? "test-flow", logs, ac.signal), network: opts.network, connection: opts.connection });
  const result: RunProcessorResult = { ports, logs };
  try {
    if (isSourceProcessor(proc)) {
      await proc.open?.(opts.checkpoint);
      if (isOfferableSource(proc) && opts.offer) {
        let accepted = 0;
        for (const r of opts.offer) if (proc.offer(r)) accepted++;
        result.accepted = accepted;
      }
      const max = opts.maxRecords ?? 1000;
      const end = Date.now() + (opts.timeoutMs ?? 5000);
      let total = 0;
      let empty = 0;
      while (total < max && Date.now() < end) {
        const res = await proc.poll(Math.min(opts.pollMax ?? 100, max - total));
        for (const r of res.records) ports.success.push(lineage.stamp(r));
        if (res.checkpoint !== undefined) {
          result.checkpoint = res.checkpoint;
          proc.acknowledged?.(res.checkpoint); // taking the records is what the runner's acknowledgement stands for here
        }
        total += res.records.length;
        if (res.done) {
          result.done = true;
          break;
        }
        empty = res.records.length === 0 ? empty + 1 : 0;
        if (empty >= 3) break;
      }
    } else {
      const input = records.map((r) => lineage.ensureId(r));
      const size = opts.batchSize ?? Math.max(1, input.length);
      for (let i = 0; i < input.length; i += size) {
        await runBatch(nodeId, proc, portNames, input.slice(i, i + size), lineage, (port, rec) => ports[port].push(rec));
      }
    }
  } finally {
    ac.abort();
    await proc.close?.();
  }
  return result;
}

export interface FlowRunOptions {
  /** contents of Kafka topics read by kafka-source nodes */
  inputs?: Record<string, MRecord[]>;
  /** records offered to http-listen nodes, by path */
  httpRequests?: Record<string, MRecord[]>;
  /** stop the sources after they produced this many records in total (default 10000) */
  maxRecords?: number;
  /** give up after this long (default 10000 ms) */
  timeoutMs?: number;
  /** records per batch (default 100) */
  batchSize?: number;
  /** checkpoints given to the sources' open() */
  checkpoints?: Record<string, unknown>;
}

export interface FlowRunResult {
  /** per node, per port: every record it emitted (lineage-stamped) */
  outputs: Record<string, Record<string, MRecord[]>>;
  /** per node: every record it received on its input */
  received: Record<string, MRecord[]>;
  /** every in-memory topic: the inputs plus what kafka-sink nodes wrote */
  topics: Record<string, MRecord[]>;
  checkpoints: Record<string, unknown>;
  logs: LogLine[];
  stoppedBy: "idle" | "maxRecords" | "timeout";
}

function substitute(v: unknown, params: Map<string, string>): unknown {
  if (typeof v === "string")
    return v.replace(/#\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g, (m, name: string) => {
      const p = params.get(name);
      if (p === undefined) throw new Error(`unknown parameter #{${name}}`);
      return p;
    });
  if (Array.isArray(v)) return v.map((x) => substitute(x, params));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, params)]));
  return v;
}

interface NodeRt {
  id: string;
  spec: ProcessorSpec;
  proc: BatchProcessor | SourceProcessor;
  ports: string[];
  queue: MRecord[];
  /** kafka-source: topic + offset; sink: topic */
  topic?: string;
  offset: number;
  done: boolean;
  idle: boolean;
}

/**
 * Runs a whole flow document on an in-memory broker (a test tool, not the engine): one queue per
 * node input, kafka-source reads `inputs[topic]`, kafka-sink appends its `success` records to the
 * topic. Runs until everything is idle, the sources produced `maxRecords`, or `timeoutMs`.
 */
export async function runFlowInMemory(doc: FlowDocument | unknown, opts: FlowRunOptions = {}): Promise<FlowRunResult> {
  const flow = FlowDocumentSchema.parse(doc);
  const params = new Map(flow.parameters.map((p) => [p.name, p.value]));
  const logs: LogLine[] = [];
  const ac = new AbortController();
  const batchSize = opts.batchSize ?? 100;
  const maxRecords = opts.maxRecords ?? 10_000;
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  const lineage = new Lineage("m");
  const topics = new Map<string, MRecord[]>();
  for (const [t, recs] of Object.entries(opts.inputs ?? {})) topics.set(t, recs.map((r) => lineage.ensureId(r)));
  const topic = (t: string) => {
    let q = topics.get(t);
    if (!q) topics.set(t, (q = []));
    return q;
  };

  const outputs: FlowRunResult["outputs"] = {};
  const received: FlowRunResult["received"] = {};
  const checkpoints: Record<string, unknown> = {};
  const nodes = new Map<string, NodeRt>();
  try {
    for (const n of flow.nodes) {
      const spec = specOf(n.type);
      let config: unknown;
      try {
        config = parseConfig(spec, substitute(n.config, params));
      } catch (e) {
        throw new Error(`node ${n.id}: ${(e as Error).message}`, { cause: e });
      }
      const proc = await implementations[n.type].create(config, makeCtx(n.id, flow.id, logs, ac.signal));
      const ports = spec.outputPorts(config);
      const rt: NodeRt = { id: n.id, spec, proc, ports, queue: [], offset: 0, done: false, idle: false, topic: spec.externalTopic?.(config) };
      nodes.set(n.id, rt);
      outputs[n.id] = Object.fromEntries(ports.map((p) => [p, [] as MRecord[]]));
      received[n.id] = [];
      if (isSourceProcessor(proc)) {
        await proc.open?.(opts.checkpoints?.[n.id]);
        if (isOfferableSource(proc)) {
          const path = (config as { path?: string }).path ?? "";
          for (const r of opts.httpRequests?.[path] ?? []) if (!proc.offer(r)) logs.push({ nodeId: n.id, level: "warn", msg: "request refused (buffer full)" });
        }
      }
    }
    const targets = new Map<string, NodeRt[]>();
    for (const e of flow.edges) {
      const to = nodes.get(e.to.node);
      const from = nodes.get(e.from.node);
      if (!to || !from) throw new Error(`edge ${e.id} connects a missing node`);
      if (!from.ports.includes(e.from.port)) throw new Error(`edge ${e.id}: node ${from.id} has no port '${e.from.port}'`);
      const k = `${e.from.node}\u0000${e.from.port}`;
      targets.set(k, [...(targets.get(k) ?? []), to]);
    }
    const route = (node: NodeRt) => (port: string, rec: MRecord) => {
      outputs[node.id][port].push(rec);
      if (node.spec.type === "kafka-sink" && port === "success" && node.topic) topic(node.topic).push(rec);
      for (const t of targets.get(`${node.id}\u0000${port}`) ?? []) t.queue.push(rec);
    };

    const sources = [...nodes.values()].filter((n) => n.spec.kind === "source");
    const others = [...nodes.values()].filter((n) => n.spec.kind !== "source");
    let produced = 0;
    let stoppedBy: FlowRunResult["stoppedBy"] = "idle";
    for (;;) {
      if (Date.now() > deadline) {
        stoppedBy = "timeout";
        break;
      }
      let progress = false;
      for (const s of sources) {
        if (s.done || produced >= maxRecords) continue;
        const budget = Math.min(batchSize, maxRecords - produced);
        if (isSourceProcessor(s.proc)) {
          const res = await s.proc.poll(budget);
          if (res.checkpoint !== undefined) checkpoints[s.id] = res.checkpoint;
          for (const r of res.records) route(s)("success", lineage.stamp(r));
          produced += res.records.length;
          s.done = !!res.done;
          s.idle = res.records.length === 0;
          if (res.records.length) progress = true;
        } else {
          const t = topic(s.topic ?? "");
          const batch = t.slice(s.offset, s.offset + budget);
          s.idle = batch.length === 0;
          if (batch.length === 0) continue;
          s.offset += batch.length;
          checkpoints[s.id] = s.offset;
          await runBatch(s.id, s.proc, s.ports, batch, lineage, route(s));
          produced += batch.length;
          progress = true;
        }
      }
      let work = true;
      while (work) {
        work = false;
        for (const n of others) {
          if (n.queue.length === 0) continue;
          const batch = n.queue.splice(0, batchSize);
          for (const r of batch) received[n.id].push(r);
          await runBatch(n.id, n.proc as BatchProcessor, n.ports, batch, lineage, route(n));
          work = true;
          progress = true;
        }
        if (Date.now() > deadline) break;
      }
      if (produced >= maxRecords && !progress) {
        stoppedBy = "maxRecords";
        break;
      }
      if (!progress && sources.every((s) => s.done || s.idle)) break;
    }
    return { outputs, received, topics: Object.fromEntries(topics), checkpoints, logs, stoppedBy };
  } finally {
    ac.abort();
    for (const n of nodes.values()) await n.proc.close?.();
  }
}
