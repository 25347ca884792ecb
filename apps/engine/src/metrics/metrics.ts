import type { IncomingMessage, ServerResponse } from "node:http";
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import { kafkaClientInfo } from "../kafka/index.js";
import type { BatchErrorEvent, BatchEvent, PauseEvent, RunnerObserver } from "../runtime/observer.js";
import { PlanCache, type PlanLookup } from "../provenance/plans.js";
import type { ProvenanceStorageStats } from "../provenance/bounds.js";
import { eventLoopDelay } from "./event-loop.js";

/** What the metrics need besides the runner's events, asked at scrape time. */
export interface MetricsSources {
  plans?: PlanLookup;
  /** queue depth (records waiting) per durable edge of every running flow; cached by the caller */
  queues?: () => Promise<{ flowId: string; edgeId: string; queue: number }[]>;
  provenance?: () => { queued: number; rows: number; droppedRecords: number; droppedBatches: number; writeErrors: number } | undefined;
  /** size and bounds of the provenance table */
  provenanceStorage?: () => ProvenanceStorageStats;
}

interface NodeChildren {
  in: Counter.Internal;
  out: Counter.Internal;
  bytesIn: Counter.Internal;
  bytesOut: Counter.Internal;
  errors: Counter.Internal;
}

/**
 * Prometheus metrics of this engine process, served at /metrics. Counters are this process's
 * own (Prometheus sums over engines); queue depths come from Kafka and are the same on every
 * engine (use max()). Cheap on the hot path: label children are cached per deployment and node,
 * edges are counted per port run, not per record lookup.
 */
export class EngineMetrics implements RunnerObserver {
  readonly registry = new Registry();
  private readonly nodeIn: Counter<string>;
  private readonly nodeOut: Counter<string>;
  private readonly nodeBytesIn: Counter<string>;
  private readonly nodeBytesOut: Counter<string>;
  private readonly nodeErrors: Counter<string>;
  private readonly edgeRecords: Counter<string>;
  private readonly edgeBytes: Counter<string>;
  private readonly batchErrors: Counter<string>;
  private readonly batches: Counter<string>;
  private readonly paused: Gauge<string>;
  private readonly children = new Map<string, NodeChildren>();
  private readonly edgeChildren = new Map<string, { records: Counter.Internal; bytes: Counter.Internal }[]>();
  private readonly plans: PlanCache;

  constructor(private readonly sources: MetricsSources = {}) {
    const r = this.registry;
    this.plans = new PlanCache(sources.plans);
    collectDefaultMetrics({ register: r, prefix: "millrace_process_" });
    const c = (name: string, help: string, labelNames: string[]) => new Counter({ name, help, labelNames, registers: [r] });
    this.nodeIn = c("millrace_node_records_in_total", "Records a node received", ["flow", "node"]);
    this.nodeOut = c("millrace_node_records_out_total", "Records a node emitted (all ports, failure included)", ["flow", "node"]);
    this.nodeBytesIn = c("millrace_node_bytes_in_total", "Bytes a node read from Kafka", ["flow", "node"]);
    this.nodeBytesOut = c("millrace_node_bytes_out_total", "Bytes a node wrote to Kafka", ["flow", "node"]);
    this.nodeErrors = c("millrace_node_errors_total", "Records a node sent to failure", ["flow", "node"]);
    this.edgeRecords = c("millrace_edge_records_total", "Records that went over an edge", ["flow", "edge"]);
    this.edgeBytes = c("millrace_edge_bytes_total", "Bytes that went over an edge (durable edges)", ["flow", "edge"]);
    this.batchErrors = c("millrace_stage_batch_errors_total", "Batches that failed as a whole (retried)", ["flow", "stage"]);
    this.batches = c("millrace_stage_batches_total", "Batches a stage completed", ["flow", "stage"]);
    this.paused = new Gauge({ name: "millrace_source_paused", help: "1 while a source stage is paused by back pressure or low disk space", labelNames: ["flow", "stage"], registers: [r] });
    const queues = sources.queues;
    new Gauge({
      name: "millrace_edge_queue_depth",
      help: "Records waiting on a durable edge (topic end offsets minus the reading group's committed offsets)",
      labelNames: ["flow", "edge"],
      registers: [r],
      async collect() {
        this.reset();
        if (!queues) return;
        for (const q of await queues().catch(() => [])) this.set({ flow: q.flowId, edge: q.edgeId }, q.queue);
      },
    });
    // a gauge per figure of a source asked at scrape time (nothing set while the source is absent)
    const gaugesOf =
      <S>(source: (() => S | undefined) | undefined) =>
      (name: string, help: string, pick: (s: S) => number) =>
        new Gauge({
          name,
          help,
          registers: [r],
          collect() {
            const s = source?.();
            if (s) this.set(pick(s));
          },
        });
    const pg = gaugesOf(sources.provenance);
    pg("millrace_provenance_queued_records", "Record ids waiting to be written to provenance", (s) => s.queued);
    pg("millrace_provenance_rows_written", "Provenance rows (node-batches) written by this engine", (s) => s.rows);
    pg("millrace_provenance_dropped_records", "Record ids not recorded because Postgres could not keep up", (s) => s.droppedRecords);
    pg("millrace_provenance_dropped_batches", "Node batches not recorded because Postgres could not keep up", (s) => s.droppedBatches);
    pg("millrace_provenance_write_errors", "Failed provenance writes (retried)", (s) => s.writeErrors);
    const stored = gaugesOf(sources.provenanceStorage);
    stored("millrace_provenance_bytes", "Size of the provenance table on disk (all partitions, indexes included)", (s) => s.bytes);
    stored("millrace_provenance_max_bytes", "Size bound of the provenance table (MILLRACE_PROVENANCE_MAX_MB)", (s) => s.maxBytes);
    stored("millrace_provenance_partitions", "Partitions of the provenance table", (s) => s.partitions);
    stored("millrace_provenance_dropped_partitions", "Provenance partitions dropped by this engine to stay within size and time bounds", (s) => s.droppedPartitions);
    // per scrape window, not since start: a stall shows in the scrape after it and then goes away
    const loopDelay = eventLoopDelay.reader();
    new Gauge({
      name: "millrace_event_loop_delay_seconds",
      help: "How late the engine's main thread ran a timer, over the time since the previous scrape (stat: p50, p99, max)",
      labelNames: ["stat"],
      registers: [r],
      collect() {
        if (loopDelay.count === 0) return;
        this.set({ stat: "p50" }, loopDelay.percentile(50) / 1e9);
        this.set({ stat: "p99" }, loopDelay.percentile(99) / 1e9);
        this.set({ stat: "max" }, loopDelay.max / 1e9);
        loopDelay.reset();
      },
    });
    const kafkaClient = kafkaClientInfo();
    new Gauge({ name: "millrace_kafka_client_info", help: "The Kafka client library this engine runs (always 1)", labelNames: ["client", "version"], registers: [r] }).set({ client: kafkaClient.name, version: kafkaClient.version }, 1);
    const adaptation = new Gauge({ name: "millrace_kafka_client_adaptation", help: "1 when this adaptation of the Kafka client is active, 0 when the engine runs without it", labelNames: ["name"], registers: [r] });
    for (const a of kafkaClient.adaptations) adaptation.set({ name: a.name }, a.active ? 1 : 0);
  }

  private node(flowId: string, deploymentId: string, nodeId: string): NodeChildren {
    const k = `${deploymentId}\0${nodeId}`;
    let ch = this.children.get(k);
    if (!ch) {
      const l = { flow: flowId, node: nodeId };
      ch = { in: this.nodeIn.labels(l), out: this.nodeOut.labels(l), bytesIn: this.nodeBytesIn.labels(l), bytesOut: this.nodeBytesOut.labels(l), errors: this.nodeErrors.labels(l) };
      for (const c of Object.values(ch)) c.inc(0); // a series shows (as 0) from its node's first batch
      this.children.set(k, ch);
    }
    return ch;
  }

  private edges(flowId: string, deploymentId: string, nodeId: string, port: string) {
    const k = `${deploymentId}\0${nodeId}\0${port}`;
    let list = this.edgeChildren.get(k);
    if (!list) {
      const plan = this.plans.get(flowId, deploymentId);
      if (!plan) return undefined; // plan unknown (yet): node figures only
      list = (plan.portEdges.get(nodeId)?.get(port) ?? []).map((edge) => ({ records: this.edgeRecords.labels({ flow: flowId, edge }), bytes: this.edgeBytes.labels({ flow: flowId, edge }) }));
      for (const e of list) e.bytes.inc(0);
      this.edgeChildren.set(k, list);
    }
    return list;
  }

  onBatch(b: BatchEvent): void {
    this.batches.inc({ flow: b.flowId, stage: b.stageId });
    for (const nb of b.nodes) {
      const ch = this.node(b.flowId, b.deploymentId, nb.nodeId);
      if (nb.inputs.length) ch.in.inc(nb.inputs.length);
      if (nb.outputs.length) ch.out.inc(nb.outputs.length);
      if (nb.bytesIn) ch.bytesIn.inc(nb.bytesIn);
      if (nb.bytesOut) ch.bytesOut.inc(nb.bytesOut);
      if (nb.errors) ch.errors.inc(nb.errors);
      // edges: count runs of the same port
      const outs = nb.outputs;
      let i = 0;
      while (i < outs.length) {
        const port = outs[i]!.port;
        let n = 0;
        let bytes = 0;
        while (i < outs.length && outs[i]!.port === port) {
          bytes += outs[i]!.bytes ?? 0;
          n++;
          i++;
        }
        const list = this.edges(b.flowId, b.deploymentId, nb.nodeId, port);
        if (list)
          for (const e of list) {
            e.records.inc(n);
            if (bytes) e.bytes.inc(bytes);
          }
      }
    }
  }

  onBatchError(e: BatchErrorEvent): void {
    this.batchErrors.inc({ flow: e.flowId, stage: e.stageId });
  }

  onPause(e: PauseEvent): void {
    this.paused.set({ flow: e.flowId, stage: e.stageId }, e.paused ? 1 : 0);
  }

  /** Serves GET /metrics in Prometheus' text format. */
  handle(_req: IncomingMessage, res: ServerResponse): void {
    this.registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": this.registry.contentType }).end(text),
      (e) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics failed: ${e instanceof Error ? e.message : e}`),
    );
  }
}
