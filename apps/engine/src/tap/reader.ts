import { randomUUID } from "node:crypto";
import type { InMessage, KafkaClient, KafkaConsumer } from "../kafka/index.js";

/**
 * Reading an edge topic without disturbing the flow.
 *
 * kafkajs has no group-less consumer (no `assign()`), so a tap uses a consumer group of its own,
 * `mr-tap.<uuid>`, which:
 * - never commits: autoCommit is off and nothing calls commitOffsets (kafkajs then sends no
 *   OffsetCommit at all, not even on seek or disconnect: resolved offsets stay local), so the
 *   group never holds an offset;
 * - starts at the end (no committed offset + fromBeginning false = latest), or seeks where asked;
 * - is a group of one: it shares nothing with the flow's consumer groups, so the flow never
 *   rebalances because someone looks at an edge;
 * - is deleted when the tap ends (the group metadata is all it ever had).
 * A truly group-less reader (Fetch on assigned partitions) needs a KafkaClient method; see the
 * provenance README ("hooks").
 */
export const TAP_GROUP_PREFIX = "mr-tap.";

export interface TapMessage {
  topic: string;
  partition: number;
  message: InMessage;
}

export interface TapConsumer {
  readonly groupId: string;
  consumer: KafkaConsumer;
  /** stops, disconnects and deletes the throwaway group; idempotent */
  close(): Promise<void>;
}

/**
 * Starts a throwaway-group consumer on `topic`; `onBatch` gets every fetched batch. Resolves
 * once the consumer has joined (partitions assigned), so seeks work right away.
 */
export async function startTapConsumer(
  kafka: KafkaClient,
  topic: string,
  onBatch: (batch: { topic: string; partition: number; highWatermark: string; messages: InMessage[] }) => void | Promise<void>,
  opts: { maxBytesPerPartition?: number } = {},
): Promise<TapConsumer> {
  const groupId = `${TAP_GROUP_PREFIX}${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, maxBytesPerPartition: opts.maxBytesPerPartition ?? 256 * 1024, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await consumer.stop().catch(() => {});
      await consumer.disconnect().catch(() => {});
      // the member left on disconnect; the empty group can go (retry briefly while it settles)
      for (let i = 0; i < 5; i++) {
        try {
          await kafka.deleteGroups([groupId]);
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    })());
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      // resolving only moves the consumer's own fetch position (without it kafkajs fetches the
      // same batch again and again); with autoCommit off it is never sent to Kafka
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, isRunning, isStale }) => {
        if (!isRunning() || isStale()) return;
        await onBatch({ topic: batch.topic, partition: batch.partition, highWatermark: batch.highWatermark, messages: batch.messages });
      },
    });
  } catch (e) {
    await close();
    throw e;
  }
  return { groupId, consumer, close };
}

/**
 * Reads the messages at offsets [from, to] (inclusive) of some partitions of `topic`, then
 * closes. Stops early at `timeoutMs`, or when nothing arrived for `quietMs` (offsets past the
 * last record, e.g. transaction markers, never arrive).
 */
export async function readRanges(
  kafka: KafkaClient,
  topic: string,
  ranges: { partition: number; from: bigint; to: bigint }[],
  opts: { timeoutMs?: number; quietMs?: number; max?: number } = {},
): Promise<TapMessage[]> {
  const wanted = ranges.filter((r) => r.to >= r.from);
  if (!wanted.length) return [];
  const max = opts.max ?? 10_000;
  const got = new Map<number, Map<string, InMessage>>();
  const reached = new Map<number, bigint>();
  let count = 0;
  let lastProgress = Date.now();
  const byPartition = new Map(wanted.map((r) => [r.partition, r]));
  const done = () => count >= max || wanted.every((r) => (reached.get(r.partition) ?? -1n) >= r.to);
  const tap = await startTapConsumer(kafka, topic, (b) => {
    const r = byPartition.get(b.partition);
    if (!r) return;
    for (const m of b.messages) {
      const o = BigInt(m.offset);
      if (o < r.from || o > r.to) continue;
      let list = got.get(b.partition);
      if (!list) got.set(b.partition, (list = new Map()));
      if (!list.has(m.offset) && count < max) {
        list.set(m.offset, m);
        count++;
      }
      if (o > (reached.get(b.partition) ?? -1n)) reached.set(b.partition, o);
      lastProgress = Date.now();
    }
    // nothing more to come in this partition: the end of the log is before `to`
    if (BigInt(b.highWatermark) - 1n <= (reached.get(b.partition) ?? -1n)) reached.set(b.partition, r.to);
  });
  try {
    for (const r of wanted) tap.consumer.seek({ topic, partition: r.partition, offset: r.from.toString() });
    lastProgress = Date.now();
    const end = Date.now() + (opts.timeoutMs ?? 15_000);
    const quiet = opts.quietMs ?? 3_000;
    while (!done() && Date.now() < end && Date.now() - lastProgress < quiet) await new Promise((res) => setTimeout(res, 25));
  } finally {
    await tap.close();
  }
  const out: TapMessage[] = [];
  for (const r of wanted) {
    const list = got.get(r.partition);
    if (!list) continue;
    for (const m of [...list.values()].sort((a, b) => (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1))) out.push({ topic, partition: r.partition, message: m });
  }
  return out;
}
