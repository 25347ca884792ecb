import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { BatchContext, KafkaClient, KafkaConsumer } from "../kafka/index.js";
import { decodeChange } from "./changelog.js";
import type { PartitionStore, StoreChange } from "./store.js";

/**
 * Brings a PartitionStore up to its changelog partition's end, as it was when the restore
 * started: from the store's checkpoint, or from the log start when the store has none or its
 * checkpoint is outside the log (a log recreated or truncated under it: the store is wiped).
 *
 * kafkajs has no assign(), so the reader is a consumer group of its own (`mr-restore.<uuid>`),
 * like a tap's: it never commits (autoCommit off, nothing calls commitOffsets), seeks the one
 * partition to its start, pauses every other partition the group got, and is deleted at the end.
 *
 * The end: the partition's high watermark read at the start. kafkajs reports where it is only
 * through delivered batches, and a fetch holding nothing but transaction markers or aborted
 * records is never delivered, so a log ending in such records (every exactly-once changelog
 * ends in a commit marker) may look unfinished. When nothing arrives for `quietMs`, the reader
 * seeks back to the last record it was given: that fetch comes back with it and whatever
 * follows, markers included, so the position moves past them. When that too ends quiet, the
 * rest up to the end holds nothing to deliver, and the restore ends there (the checkpoint stays
 * where the last delivered batch left it, so the next restore looks at that rest again). With no
 * record to seek back to, it ends after a longer quiet.
 * Before restoring, the partition's transactional producer must have fenced its previous
 * owner: an open transaction is invisible to this read_committed reader until it ends.
 */

export interface RestoreProgress {
  /** offsets of the partition covered so far (records, markers and compacted gaps alike) */
  done: number;
  total: number;
}

export interface RestoreOptions {
  topic: string;
  partition: number;
  onProgress?: (progress: RestoreProgress) => void;
  /** how long without any delivered batch counts as "nothing more to deliver" (default 1500 ms) */
  quietMs?: number;
  /** stops the restore (it then rejects); the store keeps what was restored, with its checkpoint */
  signal?: AbortSignal;
  /** read up to this offset instead of the high watermark (a snapshot's point in time, taken once for every partition) */
  end?: number;
}

export interface RestoreResult {
  /** changes applied to the store */
  restoredRecords: number;
  ms: number;
  /** the offset read from (the checkpoint, or the log start) and the end offset taken at the start */
  from: number;
  to: number;
  /** the store was emptied first (no checkpoint, or one outside the log) */
  wiped: boolean;
}

export const RESTORE_GROUP_PREFIX = "mr-restore.";

const POLL_MS = 25;
/** with no record to seek back to, quiet must last this many times longer before the rest counts as undeliverable */
const NO_PROBE_QUIET_FACTOR = 4;

export async function restoreStore(kafka: KafkaClient, store: PartitionStore, opts: RestoreOptions): Promise<RestoreResult> {
  const started = Date.now();
  const { topic, partition } = opts;
  // the node's display must not break the restore
  const progress = (done: number, total: number): void => {
    try {
      opts.onProgress?.({ done, total });
    } catch {
      /* ignored */
    }
  };
  const where = `changelog ${topic} partition ${partition} into state store ${store.label}`;
  const offsets = (await kafka.topicEndOffsets(topic)).find((o) => o.partition === partition);
  if (!offsets) throw new Error(`restoring ${where}: the topic has no partition ${partition}`);
  const { low } = offsets;
  const high = opts.end !== undefined ? Math.min(opts.end, offsets.high) : offsets.high;

  const checkpoint = store.checkpoint();
  const wiped = checkpoint === undefined || checkpoint < low || checkpoint > high;
  if (wiped) store.wipe();
  const from = wiped ? low : checkpoint;
  const result = (restoredRecords: number): RestoreResult => ({ restoredRecords, ms: Date.now() - started, from, to: high, wiped });
  const total = high - from;
  if (total <= 0) {
    if (wiped) store.setCheckpoint(high);
    progress(0, 0);
    return result(0);
  }
  const reader = new PartitionReader(store, topic, partition, from, high, where);
  // a record the reader may seek back to before any was delivered: the one before the checkpoint
  if (from > low) reader.lastRecord = from - 1;
  progress(0, total);
  const groupId = `${RESTORE_GROUP_PREFIX}${randomUUID()}`;
  const consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: 200,
    maxBytesPerPartition: 1024 * 1024,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    const assigned = new Promise<Record<string, number[]>>((resolve) => consumer.onGroupJoin(resolve));
    await consumer.run({
      autoCommit: false,
      // moves only this consumer's fetch position; with autoCommit off nothing is sent to Kafka
      eachBatchAutoResolve: true,
      eachBatch: async (ctx) => {
        if (reader.accept(ctx)) progress(reader.position - from, total);
      },
    });
    const others = ((await assigned)[topic] ?? []).filter((p) => p !== partition);
    if (others.length) consumer.pause([{ topic, partitions: others }]);
    reader.seek(consumer, from);
    await reader.finished(consumer, opts.quietMs ?? 1_500, opts.signal);
  } finally {
    await closeReader(kafka, consumer, groupId);
  }
  progress(total, total);
  return result(reader.applied);
}

/** One restore's reading position and what it applied; batches are applied one at a time (kafkajs awaits each). */
class PartitionReader {
  /** next offset wanted */
  position: number;
  applied = 0;
  private failure: Error | undefined;
  /** batches are taken only after the seek: one fetched from the group's starting point (the end) would look like the end reached */
  private seeked = false;
  /** offset of the last record delivered, where a seek back finds a fetch that gets delivered */
  lastRecord: number | undefined;
  private lastActivity = Date.now();
  private changes: StoreChange[] = [];

  constructor(
    private readonly store: PartitionStore,
    private readonly topic: string,
    private readonly partition: number,
    from: number,
    private readonly end: number,
    private readonly where: string,
  ) {
    this.position = from;
  }

  seek(consumer: KafkaConsumer, offset: number): void {
    consumer.seek({ topic: this.topic, partition: this.partition, offset: String(offset) });
    this.seeked = true;
    this.lastActivity = Date.now();
  }

  /** Applies a delivered batch; true when the position moved. */
  accept({ batch, isStale }: BatchContext): boolean {
    if (!this.seeked || isStale() || batch.partition !== this.partition || this.failure || this.position >= this.end) return false;
    this.lastActivity = Date.now();
    const changes = this.changes;
    changes.length = 0;
    const where = { topic: this.topic, partition: this.partition };
    try {
      for (const m of batch.messages) {
        const offset = Number(m.offset);
        if (offset >= this.end) break;
        this.lastRecord = offset;
        if (offset < this.position) continue; // read again after a seek back
        changes.push(decodeChange(m, where));
      }
      // the batch's last offset counts the markers it held too
      const next = Math.min(Number(batch.lastOffset()) + 1, this.end);
      if (next <= this.position && !changes.length) return false;
      this.store.write(changes, Math.max(next, this.position));
      this.applied += changes.length;
      this.position = Math.max(next, this.position);
      return true;
    } catch (e) {
      this.failure = new Error(`restoring ${this.where}: ${(e as Error).message}`, { cause: e });
      return false;
    }
  }

  /** Waits until the end is reached, or nothing more can be delivered before it (see the module's comment). */
  async finished(consumer: KafkaConsumer, quietMs: number, signal: AbortSignal | undefined): Promise<void> {
    let probedAt: number | undefined;
    for (;;) {
      if (this.failure) throw this.failure;
      if (signal?.aborted) throw new Error(`restoring ${this.where}: stopped at offset ${this.position} of ${this.end}`);
      if (this.position >= this.end) return;
      if (Date.now() - this.lastActivity >= quietMs) {
        const probed = probedAt !== undefined && probedAt >= this.position;
        if (!probed && this.lastRecord !== undefined) {
          probedAt = this.position;
          this.seek(consumer, this.lastRecord);
        } else if (probed || Date.now() - this.lastActivity >= quietMs * NO_PROBE_QUIET_FACTOR) {
          // offsets [position, end) hold no record this reader can be given; the next restore reads them again
          return;
        }
      }
      await sleep(POLL_MS);
    }
  }
}

/** Stops and disconnects the reader, then deletes its group (retrying briefly while the member's leaving settles). */
async function closeReader(kafka: KafkaClient, consumer: KafkaConsumer, groupId: string): Promise<void> {
  await consumer.stop().catch(() => {});
  await consumer.disconnect().catch(() => {});
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await kafka.deleteGroups([groupId]);
      return;
    } catch {
      await sleep(200);
    }
  }
}
