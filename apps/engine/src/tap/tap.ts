import { HEADER, type MRecord } from "@millrace/processors";
import type { MessageDecoder } from "../formats/codecs.js";
import type { DeploymentRepository } from "../db/deployments.js";
import type { InMessage, KafkaClient } from "../kafka/index.js";
import type { ExecutionPlan, PlannedEdge } from "../planner/index.js";
import { maskHeaders } from "./mask.js";
import { readRanges, startTapConsumer } from "./reader.js";
import { DomainError } from "../errors.js";
import type { FusedTaps } from "./fused.js";
import { readValue } from "../runtime/records.js";

/** A record as a tap shows it. */
export interface TappedRecord {
  key: string | null;
  /** JSON-decoded value; a value that is not JSON is shown as a string (cut at 64 KiB) */
  value: unknown;
  /** sensitive-looking header values are "***" */
  headers: Record<string, string>;
  /** "kafka": read from the edge's topic; "fused": sampled in process on the engine answering (no topic, no offset) */
  via: "kafka" | "fused";
  /** the edge topic; null on a fused edge */
  topic: string | null;
  partition: number | null;
  offset: string | null;
  /** ms since epoch (Kafka's record timestamp; on a fused edge when the batch was observed) */
  timestamp: number;
  /** the value was larger than 64 KiB and is shown cut, as a string */
  truncated?: boolean;
}

const MAX_VALUE = 64 * 1024;

function headerText(v: Buffer | string | (Buffer | string)[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v.length ? headerText(v[v.length - 1]) : undefined;
  return typeof v === "string" ? v : v.toString("utf8");
}

/**
 * Reads the messages of an external topic written in another format than JSON (an Avro
 * kafka-source's or kafka-sink's own topic): the runtime's decoder for that node.
 */
export type TapDecoder = MessageDecoder;

export function toTapped(topic: string, partition: number, m: InMessage, decoder?: TapDecoder): TappedRecord {
  const headers: Record<string, string> = {};
  for (const k in m.headers) {
    const s = headerText(m.headers[k]);
    if (s !== undefined) headers[k] = s;
  }
  let value: unknown = null;
  let truncated = false;
  if (decoder && m.value && m.value.length <= MAX_VALUE) {
    const r = decoder.decode(m);
    value = r.headers[HEADER.formatError] === undefined ? r.value : `(${r.headers[HEADER.formatError]})`;
  } else if (m.value) {
    if (m.value.length > MAX_VALUE) {
      value = m.value.subarray(0, MAX_VALUE).toString("utf8");
      truncated = true;
    } else {
      const text = m.value.toString("utf8");
      try {
        value = JSON.parse(text);
      } catch {
        value = text;
      }
    }
  }
  const r: TappedRecord = { key: m.key ? m.key.toString("utf8") : null, value, headers: maskHeaders(headers), via: "kafka", topic, partition, offset: m.offset, timestamp: Number(m.timestamp) };
  if (truncated) r.truncated = true;
  return r;
}

/** A record seen crossing a fused edge, shown like one read from Kafka (value cut at 64 KiB of its JSON). */
export function fusedTapped(record: MRecord, at: number): TappedRecord {
  let value = record.value === undefined ? null : readValue(record.value);
  let truncated = false;
  if (value !== null && typeof value === "object") {
    const text = JSON.stringify(value);
    if (text.length > MAX_VALUE) {
      value = text.slice(0, MAX_VALUE);
      truncated = true;
    }
  } else if (typeof value === "string" && value.length > MAX_VALUE) {
    value = value.slice(0, MAX_VALUE);
    truncated = true;
  }
  const r: TappedRecord = { key: record.key ?? null, value, headers: maskHeaders(record.headers), via: "fused", topic: null, partition: null, offset: null, timestamp: at };
  if (truncated) r.truncated = true;
  return r;
}

/** Resolves a flow's edge through the current deployment's plan (a durable edge also to its Kafka topic). */
export async function plannedEdgeOf(deployments: DeploymentRepository, flowId: string, edgeId: string): Promise<{ plan: ExecutionPlan; edge: PlannedEdge; deploymentId: string; running: boolean }> {
  const row = await deployments.ofFlow(flowId);
  if (!row?.plan) throw new DomainError("UNAVAILABLE", `flow ${flowId} has never been deployed: its edges have no topics yet`);
  const plan = row.plan;
  const edge = plan.edges.find((e) => e.id === edgeId);
  if (!edge) throw new DomainError("NOT_FOUND", `flow ${flowId} has no edge "${edgeId}" in its deployed version`);
  return { plan, edge, deploymentId: row.id, running: row.status === "running" };
}

/** Resolves a flow's durable edge to its Kafka topic through the current deployment's plan. */
export async function edgeOf(deployments: DeploymentRepository, flowId: string, edgeId: string): Promise<{ plan: ExecutionPlan; edge: PlannedEdge; topic: string; deploymentId: string }> {
  const { plan, edge, deploymentId } = await plannedEdgeOf(deployments, flowId, edgeId);
  if (edge.mode !== "durable" || !edge.topic) throw new DomainError("UNAVAILABLE", `edge "${edgeId}" is fused: its records never go through Kafka, so there is no topic to read; tap it live (sampled in process) or make it durable`);
  return { plan, edge, topic: edge.topic, deploymentId };
}

export interface TapOptions {
  /** records per second per client (default 50) */
  ratePerSec?: number;
  /** records waiting to be sent to a slow client; older ones are skipped (default 50) */
  buffer?: number;
}

/**
 * The newest `cap` sampled records waiting for a client, paced to `ratePerSec`: when the edge is
 * faster, older ones are skipped (a tap samples; it never slows the flow).
 */
class Sampler {
  private readonly buf: TappedRecord[] = [];
  private wake: (() => void) | undefined;
  readonly cap: number;
  private readonly rate: number;

  constructor(opts: TapOptions) {
    this.cap = opts.buffer ?? 50;
    this.rate = opts.ratePerSec ?? 50;
  }

  push(r: TappedRecord): void {
    this.buf.push(r);
  }

  /** After a run of pushes: drops the oldest over the cap, wakes the client. */
  settle(): void {
    if (this.buf.length > this.cap) this.buf.splice(0, this.buf.length - this.cap);
    this.notify();
  }

  notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async *paced(max: number, signal: AbortSignal | undefined): AsyncGenerator<TappedRecord> {
    const onAbort = () => this.notify();
    signal?.addEventListener("abort", onAbort);
    try {
      let sent = 0;
      const interval = 1000 / this.rate;
      let next = Date.now();
      while (sent < max && !signal?.aborted) {
        if (!this.buf.length) {
          await new Promise<void>((r) => {
            this.wake = r;
            setTimeout(r, 1000); // also wakes to notice an abort
          });
          continue;
        }
        const wait = next - Date.now();
        if (wait > 0) {
          await new Promise((r) => setTimeout(r, wait));
          if (signal?.aborted) break;
        }
        next = Math.max(next, Date.now()) + interval;
        const r = this.buf.shift();
        if (!r) continue;
        yield r;
        sent++;
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }
}

type LiveTapOptions = TapOptions & { max?: number; signal?: AbortSignal; onReady?: () => void };

/**
 * Live records of a durable edge as they arrive on its topic, at most `ratePerSec` per second,
 * the latest `buffer` kept when the edge is faster (commits nothing — see reader.ts).
 */
export async function* tapEdge(kafka: KafkaClient, topic: string, opts: LiveTapOptions & { decoder?: TapDecoder } = {}): AsyncGenerator<TappedRecord> {
  const sampler = new Sampler(opts);
  const decoder = opts.decoder;
  const tap = await startTapConsumer(
    kafka,
    topic,
    async (b) => {
      // only the newest `cap` of a batch can survive the buffer: decode just those
      const from = Math.max(0, b.messages.length - sampler.cap);
      if (decoder) await decoder.prepare(b.messages.slice(from));
      for (let i = from; i < b.messages.length; i++) sampler.push(toTapped(b.topic, b.partition, b.messages[i]!, decoder));
      sampler.settle();
    },
    { maxBytesPerPartition: 64 * 1024 },
  );
  try {
    opts.onReady?.();
    yield* sampler.paced(opts.max ?? Infinity, opts.signal);
  } finally {
    await tap.close();
  }
}

/**
 * Live records of a fused edge, sampled in process as this engine's stages pass them (see
 * fused.ts), paced and bounded like `tapEdge`. Only what this engine runs is seen.
 */
export async function* tapFusedEdge(taps: FusedTaps, deploymentId: string, edge: PlannedEdge, opts: LiveTapOptions = {}): AsyncGenerator<TappedRecord> {
  const sampler = new Sampler(opts);
  const unsubscribe = taps.subscribe(deploymentId, edge.to, (records) => {
    const at = Date.now();
    for (let i = Math.max(0, records.length - sampler.cap); i < records.length; i++) sampler.push(fusedTapped(records[i]!, at));
    sampler.settle();
  });
  try {
    opts.onReady?.();
    yield* sampler.paced(opts.max ?? Infinity, opts.signal);
  } finally {
    unsubscribe();
  }
}

/**
 * A fused edge keeps no history: its "recent" records are the first `limit` that pass on this
 * engine within `waitMs` (fewer, or none, when the edge is slower or idle).
 */
export async function recentFusedRecords(taps: FusedTaps, deploymentId: string, edge: PlannedEdge, limit: number, waitMs = 2_000): Promise<TappedRecord[]> {
  const got: TappedRecord[] = [];
  let done: (() => void) | undefined;
  const unsubscribe = taps.subscribe(deploymentId, edge.to, (records) => {
    const at = Date.now();
    for (let i = 0; i < records.length && got.length < limit; i++) got.push(fusedTapped(records[i]!, at));
    if (got.length >= limit) done?.();
  });
  try {
    await new Promise<void>((r) => {
      done = r;
      setTimeout(r, waitMs);
    });
  } finally {
    unsubscribe();
  }
  return got;
}

/** The last `limit` records of a topic: reads from (high − limit) per partition, newest last, at most `limit` overall. */
export async function recentRecords(kafka: KafkaClient, topic: string, limit: number, decoder?: TapDecoder): Promise<TappedRecord[]> {
  const ends = await kafka.topicEndOffsets(topic);
  const ranges = ends
    .filter((p) => p.high > p.low)
    .map((p) => ({ partition: p.partition, from: BigInt(Math.max(p.low, p.high - limit)), to: BigInt(p.high - 1) }));
  const msgs = await readRanges(kafka, topic, ranges, { max: limit * Math.max(1, ranges.length), quietMs: 2_000 });
  if (decoder) await decoder.prepare(msgs.map((m) => m.message));
  const recs = msgs.map((m) => toTapped(m.topic, m.partition, m.message, decoder));
  recs.sort((a, b) => a.timestamp - b.timestamp || (a.partition ?? 0) - (b.partition ?? 0) || (BigInt(a.offset ?? 0) < BigInt(b.offset ?? 0) ? -1 : 1));
  return recs.slice(-limit);
}
