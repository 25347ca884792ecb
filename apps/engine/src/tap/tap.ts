import type { DeploymentRepository } from "../db/deployments.js";
import type { InMessage, KafkaClient } from "../kafka/index.js";
import type { ExecutionPlan, PlannedEdge } from "../planner/index.js";
import { maskHeaders } from "./mask.js";
import { readRanges, startTapConsumer } from "./reader.js";
import { DomainError } from "../errors.js";

/** A record as a tap shows it. */
export interface TappedRecord {
  key: string | null;
  /** JSON-decoded value; a value that is not JSON is shown as a string (cut at 64 KiB) */
  value: unknown;
  /** sensitive-looking header values are "***" */
  headers: Record<string, string>;
  topic: string;
  partition: number;
  offset: string;
  /** ms since epoch (Kafka's record timestamp) */
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

export function toTapped(topic: string, partition: number, m: InMessage): TappedRecord {
  const headers: Record<string, string> = {};
  for (const k in m.headers) {
    const s = headerText(m.headers[k]);
    if (s !== undefined) headers[k] = s;
  }
  let value: unknown = null;
  let truncated = false;
  if (m.value) {
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
  const r: TappedRecord = { key: m.key ? m.key.toString("utf8") : null, value, headers: maskHeaders(headers), topic, partition, offset: m.offset, timestamp: Number(m.timestamp) };
  if (truncated) r.truncated = true;
  return r;
}

/** Resolves a flow's edge to its Kafka topic through the current deployment's plan. */
export async function edgeOf(deployments: DeploymentRepository, flowId: string, edgeId: string): Promise<{ plan: ExecutionPlan; edge: PlannedEdge; topic: string; deploymentId: string }> {
  const row = await deployments.ofFlow(flowId);
  if (!row?.plan) throw new DomainError("UNAVAILABLE", `flow ${flowId} has never been deployed: its edges have no topics yet`);
  const plan = row.plan;
  const edge = plan.edges.find((e) => e.id === edgeId);
  if (!edge) throw new DomainError("NOT_FOUND", `flow ${flowId} has no edge "${edgeId}" in its deployed version`);
  if (edge.mode !== "durable" || !edge.topic) throw new DomainError("UNAVAILABLE", `edge "${edgeId}" is fused: its records never go through Kafka, so there is nothing to tap; make it durable to see its data`);
  return { plan, edge, topic: edge.topic, deploymentId: row.id };
}

export interface TapOptions {
  /** records per second per client (default 50) */
  ratePerSec?: number;
  /** records waiting to be sent to a slow client; older ones are skipped (default 50) */
  buffer?: number;
}

/**
 * Live records of an edge as they arrive, at most `ratePerSec` per second. When the edge is
 * faster than that, the tap keeps the latest `buffer` records and skips older ones (a tap
 * samples; it never slows the flow and commits nothing — see reader.ts).
 */
export async function* tapEdge(kafka: KafkaClient, topic: string, opts: TapOptions & { max?: number; signal?: AbortSignal; onReady?: () => void } = {}): AsyncGenerator<TappedRecord> {
  const rate = opts.ratePerSec ?? 50;
  const cap = opts.buffer ?? 50;
  const max = opts.max ?? Infinity;
  const buf: TappedRecord[] = [];
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const tap = await startTapConsumer(
    kafka,
    topic,
    (b) => {
      // only the newest `cap` of a batch can survive the buffer: decode just those
      const from = Math.max(0, b.messages.length - cap);
      for (let i = from; i < b.messages.length; i++) buf.push(toTapped(b.topic, b.partition, b.messages[i]!));
      if (buf.length > cap) buf.splice(0, buf.length - cap);
      notify();
    },
    { maxBytesPerPartition: 64 * 1024 },
  );
  const onAbort = () => notify();
  opts.signal?.addEventListener("abort", onAbort);
  try {
    opts.onReady?.();
    let sent = 0;
    const interval = 1000 / rate;
    let next = Date.now();
    while (sent < max && !opts.signal?.aborted) {
      if (!buf.length) {
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 1000); // also wakes to notice an abort
        });
        continue;
      }
      const wait = next - Date.now();
      if (wait > 0) {
        await new Promise((r) => setTimeout(r, wait));
        if (opts.signal?.aborted) break;
      }
      next = Math.max(next, Date.now()) + interval;
      const r = buf.shift();
      if (!r) continue;
      yield r;
      sent++;
    }
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
    await tap.close();
  }
}

/** The last `limit` records of a topic: reads from (high − limit) per partition, newest last, at most `limit` overall. */
export async function recentRecords(kafka: KafkaClient, topic: string, limit: number): Promise<TappedRecord[]> {
  const ends = await kafka.topicEndOffsets(topic);
  const ranges = ends
    .filter((p) => p.high > p.low)
    .map((p) => ({ partition: p.partition, from: BigInt(Math.max(p.low, p.high - limit)), to: BigInt(p.high - 1) }));
  const msgs = await readRanges(kafka, topic, ranges, { max: limit * Math.max(1, ranges.length), quietMs: 2_000 });
  const recs = msgs.map((m) => toTapped(m.topic, m.partition, m.message));
  recs.sort((a, b) => a.timestamp - b.timestamp || a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
  return recs.slice(-limit);
}
