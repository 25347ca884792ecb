import type { MRecord } from "@millrace/processors";
import type { ExecutionPlan } from "../planner/index.js";
import type { BatchErrorEvent, BatchEvent, Emitted, MirroredEvent, PauseEvent, RefusedWriteEvent, ReplicationLagEvent, RestoreEvent, RunnerObserver } from "./observer.js";
import { rawValue } from "./records.js";

/** The size `encode()` would write for a record (value + key), without keeping the encoding. */
export function encodedSize(r: MRecord): number {
  const raw = rawValue(r);
  const value = raw ? raw.length : Buffer.byteLength(JSON.stringify(r.value === undefined ? null : r.value));
  return value + (r.key == null ? 0 : Buffer.byteLength(r.key));
}

/** How many records of a node-batch are measured to estimate the bytes of those never encoded. */
const SIZE_SAMPLES = 4;

/**
 * Records crossing a fused hop are never encoded, so their bytes are estimated: the mean encoded
 * size of up to four records spread over the batch (first, last and between), times the count.
 * Exact for batches of one shape; a few JSON encodings per node-batch, none per record.
 */
export function estimateBytes(count: number, sizeAt: (i: number) => number): number {
  if (count <= 0) return 0;
  const samples = Math.min(SIZE_SAMPLES, count);
  let sum = 0;
  for (let s = 0; s < samples; s++) sum += sizeAt(samples === 1 ? 0 : Math.round((s * (count - 1)) / (samples - 1)));
  return Math.round((sum / samples) * count);
}

const outputSize = (outs: readonly Emitted[]) => (i: number) => outs[i]!.bytes ?? encodedSize(outs[i]!.record);

/** Per-second buckets over the last five minutes. */
export class RateWindow {
  private readonly buckets = new Float64Array(300);
  private sec = 0;

  add(n: number, nowMs: number): void {
    this.advance(Math.floor(nowMs / 1000));
    this.buckets[this.sec % 300] += n;
  }

  private advance(sec: number): void {
    if (sec <= this.sec) return;
    const gap = Math.min(300, sec - this.sec);
    for (let i = 1; i <= gap; i++) this.buckets[(this.sec + i) % 300] = 0;
    this.sec = sec;
  }

  /** Records in the last `seconds` complete seconds (the current second is not complete yet). */
  sum(seconds: number, nowMs: number): number {
    this.advance(Math.floor(nowMs / 1000));
    let s = 0;
    for (let i = 1; i <= seconds; i++) s += this.buckets[(this.sec - i + 300 * 2) % 300]!;
    return s;
  }
}

/** What one engine knows about one node: totals since the deployment, and rates. */
export interface NodeFigures {
  in: number;
  out: number;
  errors: number;
  bytesIn: number;
  bytesOut: number;
  /** records per second processed (in; a source: out) over the last 1 s, 1 min, 5 min */
  rate1s: number;
  rate1m: number;
  rate5m: number;
  /** records in / out during the last five minutes (NiFi's "5 min" figures) */
  in5m: number;
  out5m: number;
  lastError?: string;
  /** ms since epoch */
  lastErrorAt?: number;
  /** a kafka-mirror: per source topic, its copy, records copied and how many are not copied yet */
  replication?: Record<string, ReplicationFigures>;
  /** a stateful node whose tables are being restored from the changelog here: partitions, changelog offsets read of total */
  restoring?: { partitions: number; done: number; total: number };
}

export interface ReplicationFigures {
  target: string;
  /** messages copied since the deployment */
  records: number;
  /** messages in the source topic not copied yet (over the partitions counted) */
  lag: number;
  /** partitions whose lag is counted (an engine counts those it copies) */
  partitions: number;
}

export interface EdgeFigures {
  /** records that went over the edge since the deployment */
  records: number;
  bytes: number;
  rate1s: number;
  rate1m: number;
  rate5m: number;
}

/** One engine's figures for one deployment: what it publishes for the others. */
export interface EngineFigures {
  at: number;
  nodes: Record<string, NodeFigures>;
  edges: Record<string, EdgeFigures>;
  /** source stages paused on this engine (back pressure or low disk), with the edges over threshold */
  paused: Record<string, string[]>;
  /** those of them held for low disk space (absent: none) */
  pausedForDisk?: string[];
}

class NodeCounters {
  in = 0;
  out = 0;
  errors = 0;
  bytesIn = 0;
  bytesOut = 0;
  readonly inWin = new RateWindow();
  readonly outWin = new RateWindow();
  lastError?: string;
  lastErrorAt?: number;
  replication?: Map<string, ReplicationFigures>;
  /** restores in progress, by partition */
  restoring?: Map<number, { done: number; total: number }>;
  constructor(readonly source: boolean) {}
}

class EdgeCounters {
  records = 0;
  bytes = 0;
  readonly win = new RateWindow();
}

class DeploymentCounters {
  readonly nodes = new Map<string, NodeCounters>();
  readonly edges = new Map<string, EdgeCounters>();
  /** node → port → edges leaving it */
  readonly portEdges = new Map<string, Map<string, EdgeCounters[]>>();
  readonly paused = new Map<string, string[]>();
  readonly heldForDisk = new Set<string>();
  constructor(
    readonly flowId: string,
    readonly plan: ExecutionPlan,
  ) {
    for (const n of plan.nodes) this.nodes.set(n.id, new NodeCounters(n.kind === "source"));
    for (const e of plan.edges) {
      const c = new EdgeCounters();
      this.edges.set(e.id, c);
      let ports = this.portEdges.get(e.from.node);
      if (!ports) this.portEdges.set(e.from.node, (ports = new Map()));
      let list = ports.get(e.from.port);
      if (!list) ports.set(e.from.port, (list = []));
      list.push(c);
    }
  }
}

/**
 * The stats observer of one engine: counts per node and per edge from the runner's batch
 * events. Cheap on the hot path: a few additions per node per batch, one per emitted record.
 */
export class StatsRecorder implements RunnerObserver {
  private readonly deployments = new Map<string, DeploymentCounters>();

  /** Starts counting for a deployment (idempotent). */
  track(deploymentId: string, flowId: string, plan: ExecutionPlan): void {
    if (!this.deployments.has(deploymentId)) this.deployments.set(deploymentId, new DeploymentCounters(flowId, plan));
  }

  untrack(deploymentId: string): void {
    this.deployments.delete(deploymentId);
  }

  tracked(): { deploymentId: string; flowId: string }[] {
    return [...this.deployments].map(([deploymentId, d]) => ({ deploymentId, flowId: d.flowId }));
  }

  /** A refused write's records are the writing node's errors, with the refusal as its last error. */
  onRefusedWrite(e: RefusedWriteEvent): void {
    const c = this.deployments.get(e.deploymentId)?.nodes.get(e.nodeId);
    if (!c) return;
    c.errors += e.records;
    c.lastError = e.reason;
    c.lastErrorAt = Date.now();
  }

  /** A failing batch (a sink unreachable, a broker gone) shows on its stage's head as the last error; the batch is retried, so nothing is counted. */
  onBatchError(e: BatchErrorEvent): void {
    const c = this.deployments.get(e.deploymentId)?.nodes.get(e.stageId);
    if (!c) return;
    c.lastError = `retrying: ${e.error.message}`;
    c.lastErrorAt = Date.now();
  }

  onRestore(e: RestoreEvent): void {
    const c = this.deployments.get(e.deploymentId)?.nodes.get(e.nodeId);
    if (!c) return;
    const m = (c.restoring ??= new Map());
    if (e.done >= e.total) m.delete(e.partition);
    else m.set(e.partition, { done: e.done, total: e.total });
  }

  onMirrored(e: MirroredEvent): void {
    const c = this.deployments.get(e.deploymentId)?.nodes.get(e.nodeId);
    if (!c) return;
    const now = Date.now();
    c.in += e.records;
    c.out += e.records;
    c.bytesIn += e.bytes;
    c.bytesOut += e.bytes;
    c.inWin.add(e.records, now);
    c.outWin.add(e.records, now);
    const r = (c.replication ??= new Map()).get(e.topic);
    if (r) r.records += e.records;
    else c.replication.set(e.topic, { target: e.target, records: e.records, lag: 0, partitions: 0 });
  }

  onReplicationLag(e: ReplicationLagEvent): void {
    const c = this.deployments.get(e.deploymentId)?.nodes.get(e.nodeId);
    if (!c) return;
    const map = (c.replication ??= new Map());
    for (const r of map.values()) {
      r.lag = 0;
      r.partitions = 0;
    }
    for (const [topic, t] of Object.entries(e.topics)) {
      const r = map.get(topic);
      if (r) Object.assign(r, { target: t.target, lag: t.lag, partitions: t.partitions });
      else map.set(topic, { target: t.target, records: 0, lag: t.lag, partitions: t.partitions });
    }
  }

  onBatch(b: BatchEvent): void {
    const d = this.deployments.get(b.deploymentId);
    if (!d) return;
    const now = Date.now();
    for (const nb of b.nodes) {
      const c = d.nodes.get(nb.nodeId);
      if (!c) continue;
      const nIn = nb.inputs.length;
      const nOut = nb.outputs.length;
      c.in += nIn;
      c.out += nOut;
      c.errors += nb.errors;
      // a fused node's inputs were never read from Kafka (bytesIn 0): estimated instead
      c.bytesIn += nb.bytesIn === 0 && nIn > 0 ? estimateBytes(nIn, (i) => encodedSize(nb.inputs[i]!)) : nb.bytesIn;
      c.bytesOut += nb.bytesOut;
      if (nIn) c.inWin.add(nIn, now);
      if (nOut) c.outWin.add(nOut, now);
      if (nb.lastError !== undefined) {
        c.lastError = nb.lastError;
        c.lastErrorAt = now;
      }
      const ports = d.portEdges.get(nb.nodeId);
      if (!ports || !nOut) continue;
      // one map lookup per run of equal ports, not per record
      let lastPort: string | undefined;
      let lastList: EdgeCounters[] | undefined;
      let run = 0;
      let runBytes = 0;
      // outputs never encoded (fused only): counted per run, sized by one estimate per node-batch
      let runUnsized = 0;
      let unsizedMean: number | undefined;
      const outs = nb.outputs;
      const flush = () => {
        if (runUnsized && lastList) runBytes += Math.round(runUnsized * (unsizedMean ??= estimateBytes(outs.length, outputSize(outs)) / outs.length));
        if (lastList && run) for (const ec of lastList) {
          ec.records += run;
          ec.bytes += runBytes;
          ec.win.add(run, now);
        }
        run = 0;
        runBytes = 0;
        runUnsized = 0;
      };
      for (let i = 0; i < outs.length; i++) {
        const e = outs[i]!;
        if (e.port !== lastPort) {
          flush();
          lastPort = e.port;
          lastList = ports.get(e.port);
        }
        run++;
        if (e.bytes === undefined) runUnsized++;
        else runBytes += e.bytes;
      }
      flush();
    }
  }

  onPause(e: PauseEvent): void {
    const d = this.deployments.get(e.deploymentId);
    if (!d) return;
    if (e.paused) d.paused.set(e.stageId, e.edges);
    else d.paused.delete(e.stageId);
    if (e.paused && e.disk) d.heldForDisk.add(e.stageId);
    else d.heldForDisk.delete(e.stageId);
  }

  figures(deploymentId: string, now = Date.now()): EngineFigures | undefined {
    const d = this.deployments.get(deploymentId);
    if (!d) return undefined;
    const nodes: Record<string, NodeFigures> = {};
    for (const [id, c] of d.nodes) {
      const win = c.source && c.in === 0 ? c.outWin : c.inWin;
      const f: NodeFigures = {
        in: c.in,
        out: c.out,
        errors: c.errors,
        bytesIn: c.bytesIn,
        bytesOut: c.bytesOut,
        rate1s: win.sum(1, now),
        rate1m: win.sum(60, now) / 60,
        rate5m: win.sum(300, now) / 300,
        in5m: c.inWin.sum(300, now),
        out5m: c.outWin.sum(300, now),
      };
      if (c.lastError !== undefined) {
        f.lastError = c.lastError;
        f.lastErrorAt = c.lastErrorAt;
      }
      if (c.replication) f.replication = Object.fromEntries([...c.replication].map(([t, r]) => [t, { ...r }]));
      if (c.restoring?.size) {
        let done = 0;
        let total = 0;
        for (const r of c.restoring.values()) {
          done += r.done;
          total += r.total;
        }
        f.restoring = { partitions: c.restoring.size, done, total };
      }
      nodes[id] = f;
    }
    const edges: Record<string, EdgeFigures> = {};
    for (const [id, c] of d.edges) {
      edges[id] = { records: c.records, bytes: c.bytes, rate1s: c.win.sum(1, now), rate1m: c.win.sum(60, now) / 60, rate5m: c.win.sum(300, now) / 300 };
    }
    const figures: EngineFigures = { at: now, nodes, edges, paused: Object.fromEntries(d.paused) };
    if (d.heldForDisk.size) figures.pausedForDisk = [...d.heldForDisk];
    return figures;
  }
}
