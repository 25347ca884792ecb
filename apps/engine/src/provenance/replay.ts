import { HEADER } from "@millrace/processors";
import type { DeploymentRepository } from "../db/deployments.js";
import type { ProvenanceRepository } from "../db/provenance.js";
import type { Headers, InMessage, KafkaClient, KafkaProducer, OutMessage } from "../kafka/index.js";
import type { ExecutionPlan } from "../planner/index.js";
import { newRecordId } from "../runtime/records.js";
import { readRanges } from "../tap/reader.js";
import { DomainError } from "../errors.js";
import { edgeOf } from "../tap/tap.js";
import { CODE } from "./events.js";
import type { ProvenanceStore } from "./store.js";

export interface ReplayResult {
  /** lineage id of the copy (its parent is the original) */
  recordId: string;
  parentId: string;
  topic: string;
  partition: number;
  offset: string;
  /** every node that reads that topic gets the copy */
  nodes: string[];
}

export interface ReplayRangeResult {
  count: number;
  topic: string;
  partition: number;
  /** the copies' lineage ids and offsets, in order */
  records: { recordId: string; parentId: string | null; offset: string }[];
  nodes: string[];
}

const MAX_RANGE = 10_000;
const CHUNK_BYTES = 512 * 1024;

function plainHeaders(m: InMessage): Record<string, string> {
  const h: Record<string, string> = {};
  for (const k in m.headers) {
    const v = m.headers[k];
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    if (last !== undefined) h[k] = typeof last === "string" ? last : last.toString("utf8");
  }
  return h;
}

/**
 * Replay: re-sends records that sit in an edge topic into that topic again, so the processor(s)
 * reading it process them once more. The copy gets a new lineage id whose parent is the
 * original, and a REPLAY event (a `provenance_batch` row with stage_id "#replay" whose slice is
 * where the copies went). An edge topic is shared by the edges leaving one port, so every node
 * reading that port gets the copy (listed in `nodes`).
 */
export class ReplayService {
  private producer: Promise<KafkaProducer> | undefined;

  constructor(
    private readonly d: { kafka: KafkaClient; deployments: DeploymentRepository; rows: ProvenanceRepository; store: ProvenanceStore; engineId: string },
  ) {}

  private getProducer(): Promise<KafkaProducer> {
    this.producer ??= (async () => {
      const p = this.d.kafka.producer({});
      await p.connect();
      return p;
    })();
    this.producer.catch(() => (this.producer = undefined));
    return this.producer;
  }

  private async plan(flowId: string): Promise<{ plan: ExecutionPlan; deploymentId: string }> {
    const d = await this.d.deployments.ofFlow(flowId);
    if (!d?.plan) throw new DomainError("UNAVAILABLE", `flow ${flowId} is not deployed`);
    return { plan: d.plan, deploymentId: d.id };
  }

  /** Re-sends one record (found by lineage id where it was read from an edge topic) into that topic. */
  async replay(input: { flowId: string; recordId: string; nodeId?: string }): Promise<ReplayResult> {
    const { plan, deploymentId } = await this.plan(input.flowId);
    const edgeTopics = new Map(plan.topics.filter((t) => t.role === "edge").map((t) => [t.name, t]));
    // where a record can be read again: an edge topic, a stage's replay topic (a replayed copy), or a kafka-source's topic
    const readable = new Set(plan.topics.filter((t) => t.role === "edge" || t.role === "replay" || t.role === "external-in").map((t) => t.name));
    const readings = (await this.d.store.readings(input.recordId, input.flowId)).filter(
      (r) => (edgeTopics.has(r.row.topic!) || (readable.has(r.row.topic!) && replayTopicOf(plan, r.row.node_id) !== undefined)) && (input.nodeId === undefined || r.row.node_id === input.nodeId),
    );
    const reading = readings[0];
    if (!reading) {
      const known = await this.d.store.known(input.recordId);
      if (!known) throw new DomainError("NOT_FOUND", `no provenance for record ${input.recordId}`);
      throw new DomainError(
        "UNAVAILABLE",
        `record ${input.recordId} was never read from an edge topic of flow ${input.flowId}${input.nodeId ? ` by node "${input.nodeId}"` : ""}: ` +
          "it travelled over a fused edge, left the flow (sink, dead-letter), or still waits to be read; replay one of its ancestors instead",
      );
    }
    const { row, offset } = reading;
    const topic = row.topic!;
    const partition = row.partition!;
    const low = (await this.d.kafka.topicEndOffsets(topic)).find((p) => p.partition === partition)?.low;
    if (low !== undefined && BigInt(offset) < BigInt(low)) throw new DomainError("UNAVAILABLE", `record ${topic}/${partition}@${offset} (${input.recordId}) ${agedOut(plan, topic, low)}`);
    const [orig] = await readRanges(this.d.kafka, topic, [{ partition, from: BigInt(offset), to: BigInt(offset) }], { quietMs: 3_000 });
    if (!orig || orig.message.offset !== offset) throw new DomainError("UNAVAILABLE", `record ${input.recordId} is no longer in ${topic}[${partition}]@${offset} (retention?)`);
    // only the node that read it gets the copy: its stage's replay topic (plans made before replay topics: the edge topic, every reader)
    const replayTopic = replayTopicOf(plan, row.node_id);
    const to = replayTopic ? { topic: replayTopic, partition: 0 } : { topic, partition };
    const copies = await this.send(to.topic, to.partition, [orig.message]);
    const c = copies[0]!;
    const port = edgeTopics.get(topic)?.from?.port ?? "success";
    await this.recordReplay({ flowId: input.flowId, deploymentId, nodeId: row.node_id, nodeType: row.node_type, fromNode: row.from_node, topic: to.topic, partition: to.partition, port, copies });
    return { recordId: c.recordId, parentId: input.recordId, topic: to.topic, partition: to.partition, offset: c.offset, nodes: replayTopic ? [row.node_id] : readers(plan, topic) };
  }

  /** Re-sends the records at offsets [fromOffset, toOffset] of one partition of an edge's topic (at most 10,000). */
  async replayRange(input: { flowId: string; edgeId: string; partition: number; fromOffset: string; toOffset: string }): Promise<ReplayRangeResult> {
    let from: bigint, to: bigint;
    try {
      from = BigInt(input.fromOffset);
      to = BigInt(input.toOffset);
    } catch {
      throw new DomainError("INVALID", "offsets must be integers");
    }
    if (from < 0n || to < from) throw new DomainError("INVALID", `bad offset range ${input.fromOffset}..${input.toOffset}`);
    if (to - from + 1n > BigInt(MAX_RANGE)) throw new DomainError("INVALID", `at most ${MAX_RANGE} records per replay`);
    const { plan, edge, topic, deploymentId } = await edgeOf(this.d.deployments, input.flowId, input.edgeId).catch((e) => {
      throw e instanceof DomainError ? e : new DomainError("INVALID", e instanceof Error ? e.message : String(e));
    });
    if (edge.direct === "external-out") {
      throw new DomainError("INVALID", `edge "${input.edgeId}" is written straight to the external topic ${topic}: its records have left the flow; replay them on an edge upstream of "${edge.from.node}"`);
    }
    const ends = await this.d.kafka.topicEndOffsets(topic);
    const p = ends.find((x) => x.partition === input.partition);
    if (!p) throw new DomainError("INVALID", `topic ${topic} has no partition ${input.partition}`);
    if (from < BigInt(p.low) && to < BigInt(p.high)) {
      const gone = to < BigInt(p.low) ? to : BigInt(p.low) - 1n;
      throw new DomainError("UNAVAILABLE", `records ${topic}/${input.partition}@${from}..${gone} ${agedOut(plan, topic, p.low).replace(/^is /, "are ")}`);
    }
    if (from < BigInt(p.low) || to >= BigInt(p.high)) throw new DomainError("INVALID", `offsets ${from}..${to} are outside ${topic}[${input.partition}] (${p.low}..${p.high - 1})`);
    const msgs = await readRanges(this.d.kafka, topic, [{ partition: input.partition, from, to }], { max: MAX_RANGE });
    // only this edge's target gets the copies: its stage's replay topic (older plans: the edge topic, every reader of it);
    // a direct edge's target runs in the stage its source node heads
    const replayTopic = replayTopicOf(plan, edge.direct === "external-in" ? edge.from.node : edge.to);
    if (!msgs.length) return { count: 0, topic, partition: input.partition, records: [], nodes: replayTopic ? [edge.to] : readers(plan, topic) };
    const dest = replayTopic ? { topic: replayTopic, partition: 0 } : { topic, partition: input.partition };
    const copies = await this.send(dest.topic, dest.partition, msgs.map((m) => m.message));
    await this.recordReplay({
      flowId: input.flowId,
      deploymentId,
      nodeId: edge.to,
      nodeType: plan.nodes.find((n) => n.id === edge.to)?.type ?? null,
      fromNode: edge.from.node,
      topic: dest.topic,
      partition: dest.partition,
      port: edge.from.port,
      copies,
    });
    return {
      count: copies.length,
      topic: dest.topic,
      partition: dest.partition,
      records: copies.map((c) => ({ recordId: c.recordId, parentId: c.parentId, offset: c.offset })),
      nodes: replayTopic ? [edge.to] : readers(plan, topic),
    };
  }

  /** Produces copies with fresh lineage ids, in chunks; returns each copy's id, parent and offset. */
  private async send(topic: string, partition: number, originals: InMessage[]): Promise<{ recordId: string; parentId: string | null; offset: string }[]> {
    const producer = await this.getProducer();
    const out: { recordId: string; parentId: string | null; offset: string }[] = [];
    for (let i = 0; i < originals.length; ) {
      const chunk: OutMessage[] = [];
      const meta: { recordId: string; parentId: string | null }[] = [];
      let bytes = 0;
      while (i < originals.length && (chunk.length === 0 || bytes < CHUNK_BYTES)) {
        const m = originals[i++]!;
        const headers: Headers = plainHeaders(m);
        const parentId = (headers[HEADER.id] as string | undefined) ?? null;
        const recordId = newRecordId();
        headers[HEADER.id] = recordId;
        if (parentId !== null) headers[HEADER.parents] = parentId;
        else delete headers[HEADER.parents];
        chunk.push({ key: m.key, value: m.value, headers, partition });
        meta.push({ recordId, parentId });
        bytes += (m.value?.length ?? 0) + (m.key?.length ?? 0) + 64;
      }
      const sent = await producer.send(topic, chunk);
      const base = sent.find((s) => s.partition === partition)?.baseOffset;
      if (base === undefined) throw new Error(`Kafka did not say where the replayed records went in ${topic}[${partition}]`);
      meta.forEach((x, k) => out.push({ ...x, offset: (BigInt(base) + BigInt(k)).toString() }));
    }
    return out;
  }

  private async recordReplay(r: {
    flowId: string;
    deploymentId: string;
    nodeId: string;
    nodeType: string | null;
    fromNode: string | null;
    topic: string;
    partition: number;
    port: string;
    copies: { recordId: string; parentId: string | null; offset: string }[];
  }): Promise<void> {
    const n = r.copies.length;
    const offsets = r.copies.map((c) => c.offset);
    const contiguous = BigInt(offsets[n - 1]!) - BigInt(offsets[0]!) === BigInt(n - 1);
    await this.d.rows.insertReplay({
      flowId: r.flowId,
      deploymentId: r.deploymentId,
      engineId: this.d.engineId,
      nodeId: r.nodeId,
      nodeType: r.nodeType,
      fromNode: r.fromNode,
      topic: r.topic,
      partition: r.partition,
      firstOffset: offsets[0]!,
      lastOffset: offsets[n - 1]!,
      offsets: contiguous ? null : offsets,
      parentIds: r.copies.map((c) => c.parentId ?? ""),
      inEvents: NO_EVENTS(n),
      recordIds: r.copies.map((c) => c.recordId),
      ports: r.port === "success" ? null : new Array<string>(n).fill(r.port),
      outEvents: CODE.REPLAY.repeat(n),
      portTopics: JSON.stringify({ [r.port]: [r.topic] }),
    });
  }

  async close(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    if (p) await (await p.catch(() => undefined))?.disconnect().catch(() => {});
  }
}

const NO_EVENTS = (n: number) => ".".repeat(n);

/** Why a record below a partition's first offset is gone, and what keeps records there: "is no longer in Kafka: …". */
function agedOut(plan: ExecutionPlan, topic: string, low: number): string {
  const t = plan.topics.find((x) => x.name === topic);
  const oldest = `the oldest record still there is @${low}`;
  if (t?.role === "external-in") return `is no longer in Kafka: ${topic} is an external topic, its own retention deleted it (${oldest})`;
  const bound = (n: number, unit: string) => (n > 0 ? `${n} ${unit}` : `no ${unit} bound`);
  const keeps = t?.retention ? `keeps ${bound(t.retention.minutes, "minutes")} / ${bound(t.retention.mb, "MB")}` : "keeps what its retention allows";
  return `is no longer in Kafka: records every reader has processed are kept for MILLRACE_EDGE_READ_WINDOW_MINUTES, and its topic ${keeps} at most (MILLRACE_EDGE_RETENTION_MINUTES / MILLRACE_EDGE_RETENTION_MB, or the edge's settings retentionMinutes / retentionMb); ${oldest}`;
}

function readers(plan: ExecutionPlan, topic: string): string[] {
  return [...new Set(plan.edges.filter((e) => e.topic === topic).map((e) => e.to))];
}

/** The replay topic of the stage a node heads (undefined: fused into another stage, or a plan made before replay topics). */
function replayTopicOf(plan: ExecutionPlan, nodeId: string): string | undefined {
  return plan.stages.find((s) => s.head === nodeId)?.replayTopic;
}
