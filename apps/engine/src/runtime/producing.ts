/**
 * Producing a stage's output: the batch of messages per topic, each message's partition, the
 * produce requests, and where every message landed.
 *
 * The batch is built once and nothing rewrites it afterwards. The stage executor adds each
 * message to an `Outgoing` as it routes an output. At that moment the message's partition is
 * chosen (PartitionChooser, with the slot the runner gave: the input partition, or a source's
 * rotating slot) and its size is taken from the output (`Emitted.bytes`, counted once by the
 * executor). `produce` splits the batch into requests by that size. It does not write offsets
 * into the messages or the outputs. It returns them as `ProducedPositions`: per topic, two
 * typed arrays aligned with that topic's messages. An output finds its entry through
 * `Emitted.messageIndex`, the index of its copy in the list of its first topic. The runner
 * passes the positions to observers (`BatchEvent.positions`), and provenance reads them there.
 * Per record this costs two typed-array writes; there are no per-record objects.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { keyPartition, type KafkaClient, type OutMessage, type Sender, type SentRecord } from "../kafka/index.js";
import type { Emitted } from "./observer.js";
import { encodedBytes } from "./records.js";

/** Most bytes one produce request carries: the broker refuses record batches over message.max.bytes (1 MiB by default). */
export const MAX_REQUEST_BYTES = 512 * 1024;

/** What a request's size counts per record on top of its key and value (headers, framing). */
export const RECORD_OVERHEAD_BYTES = 64;

/**
 * Partition choice. A record without a key keeps its input partition (modulo the output
 * topic's partitions) in consumer stages, and a whole polled batch goes to one partition
 * (rotating) in source stages: one partition per batch makes larger produce requests than
 * kafkajs's per-message round robin, and keeps per-partition order through the flow.
 * Keyed records keep Kafka's key hashing (murmur2), except on internal edge topics in
 * exactly-once mode: there every output partition is written by the one transactional producer
 * of the matching input partition, so transactions never interleave on a partition (kafkajs
 * mis-filters interleaved aborted transactions, see kafka/adapter/aborted-transactions.ts).
 */
export class PartitionChooser {
  constructor(
    private readonly counts: ReadonlyMap<string, number>,
    private readonly internal: ReadonlySet<string>,
    private readonly exactlyOnce: boolean,
    /**
     * keyed: topics feeding a stateful node, hashed by key in both modes (a key's records must
     * meet its row); slotted: a table's changelog, whose partition is always the input partition's;
     * writeTime: the flow's own topics bounded by time (unkeyed edges, dead letters), whose records
     * are stamped when written, not with their event time: an old event time would let the
     * topic's retention delete a record before it is read
     */
    private readonly routing: { keyed?: ReadonlySet<string>; slotted?: ReadonlySet<string>; writeTime?: ReadonlySet<string> } = {},
  ) {}

  /** topics whose broker refused records' event time (see `refuseEventTime`) */
  private refusedEventTime: Set<string> | undefined;

  /** True when messages to `topic` carry their record's timestamp (event time), false when Kafka stamps them when written. */
  keepsEventTime(topic: string): boolean {
    return !this.routing.writeTime?.has(topic) && !this.refusedEventTime?.has(topic);
  }

  /**
   * `topic` refused a batch for its timestamps (its message.timestamp.before/after.max.ms): from
   * now on its messages are stamped when written. Answers true the first time for a topic.
   */
  refuseEventTime(topic: string): boolean {
    if (this.refusedEventTime?.has(topic)) return false;
    (this.refusedEventTime ??= new Set()).add(topic);
    return true;
  }

  /** Partitions of `topic` as Kafka has them (0: not known, the client picks). */
  partitionCount(topic: string): number {
    return this.counts.get(topic) ?? 0;
  }

  /** True when keyed records of `topic` are hashed to a partition, false when they follow the slot like unkeyed ones. */
  hashesKeys(topic: string): boolean {
    if (this.routing.slotted?.has(topic)) return false;
    if (this.routing.keyed?.has(topic)) return true;
    return !(this.exactlyOnce && this.internal.has(topic));
  }
}

/** What a message's size is taken from: a node's output (Emitted), or a message no output owns whose size is measured when requests are cut. */
export type MessageOwner = Pick<Emitted, "bytes">;

/** The owner of messages no output owns (a table's changelog records): their size is measured when requests are cut. */
export const UNMEASURED: MessageOwner = Object.freeze({ bytes: undefined });

/** One topic's part of a batch: its messages in emit order and the output each one is a copy of. */
export class TopicOutput {
  readonly messages: OutMessage[] = [];
  /** aligned with `messages`; their `bytes` is each message's size */
  readonly owners: MessageOwner[] = [];
  /** the partition of every unkeyed record (of every record when keys are not hashed) */
  private readonly slotPartition: number;

  constructor(
    readonly topic: string,
    /** partitions of the topic; 0 when not known (messages then go without a partition and kafkajs picks) */
    private readonly partitionCount: number,
    private readonly hashKeys: boolean,
    slot: number,
    private readonly keepsEventTime = true,
  ) {
    this.slotPartition = partitionCount > 0 ? slot % partitionCount : 0;
  }

  /** Adds a message with its partition chosen now (and `timestamp`, the record's event time, where the topic keeps it); returns its index in `messages`. */
  add(message: OutMessage, owner: MessageOwner, timestamp?: number): number {
    if (this.keepsEventTime) {
      if (timestamp !== undefined) message.timestamp = timestamp;
    } else if (message.timestamp !== undefined) message.timestamp = undefined; // a copy of another topic's message
    const q = this.partitionCount;
    if (q > 0) {
      const key = message.key;
      // keyed: the partition kafkajs's default partitioner would pick, set here so that produced offsets can be attributed
      message.partition = key == null || !this.hashKeys ? this.slotPartition : keyPartition(key, q);
    }
    this.owners.push(owner);
    return this.messages.push(message) - 1;
  }
}

/** A stage's output for one batch, per topic in first-write order. */
export class Outgoing {
  readonly topics = new Map<string, TopicOutput>();
  /** messages in all topics */
  count = 0;

  /**
   * @param partitions chooses partitions (none: every message goes without one and kafkajs picks)
   * @param slot the input partition of a consumer stage's batch, a source's rotating slot
   */
  constructor(
    private readonly partitions: PartitionChooser | undefined,
    private readonly slot: number,
  ) {}

  /** The topics of `parts` refused their messages' event time: answers those refused for the first time (see PartitionChooser.refuseEventTime). */
  eventTimeRefused(topics: readonly string[]): string[] {
    const c = this.partitions;
    return c ? topics.filter((t) => c.refuseEventTime(t)) : [...topics];
  }

  /** Adds `message`, a copy of `owner` (whose `bytes` is its size) going to `topic`, with its record's `timestamp`; returns its index in that topic's list. */
  add(topic: string, message: OutMessage, owner: MessageOwner, timestamp?: number): number {
    let t = this.topics.get(topic);
    if (!t) {
      const c = this.partitions;
      t = new TopicOutput(topic, c ? c.partitionCount(topic) : 0, c ? c.hashesKeys(topic) : true, this.slot, c ? c.keepsEventTime(topic) : true);
      this.topics.set(topic, t);
    }
    this.count++;
    return t.add(message, owner, timestamp);
  }
}

/** One topic's slice of a produce request: `messages` are that topic's messages from index `start`. */
export interface RequestPart {
  topic: string;
  messages: OutMessage[];
  start: number;
}

/** One produce request: its parts and their size as counted (key + value + RECORD_OVERHEAD_BYTES per record). */
export interface ProduceRequest {
  parts: RequestPart[];
  bytes: number;
}

/** Splits a batch into produce requests of at most `maxBytes` (a single larger record goes alone). */
export function toRequests(out: Outgoing, maxBytes = MAX_REQUEST_BYTES): ProduceRequest[] {
  const requests: ProduceRequest[] = [];
  let current: RequestPart[] = [];
  let bytes = 0;
  for (const t of out.topics.values()) {
    const { messages, owners, topic } = t;
    const n = messages.length;
    let start = 0;
    for (let i = 0; i < n; i++) {
      const size = (owners[i]!.bytes ?? encodedBytes(messages[i]!)) + RECORD_OVERHEAD_BYTES;
      if (bytes + size > maxBytes && bytes > 0) {
        if (i > start) current.push({ topic, messages: messages.slice(start, i), start });
        requests.push({ parts: current, bytes });
        current = [];
        start = i;
        bytes = 0;
      }
      bytes += size;
    }
    // the whole list when it fits in one request: no copy
    if (n > start) current.push({ topic, messages: start === 0 ? messages : messages.slice(start), start });
  }
  if (current.length) requests.push({ parts: current, bytes });
  return requests;
}

/** Where one topic's messages were written, aligned with its messages; offset -1: not known. */
export interface TopicPositions {
  readonly partitions: Int32Array;
  readonly offsets: Float64Array;
}

/**
 * Where a batch's messages were written, per topic. Offsets are numbers, not int64 strings:
 * they stay far below 2^53, and one is kept for every record.
 */
export type ProducedPositions = ReadonlyMap<string, TopicPositions>;

/**
 * Produces a batch, request by request. With `positions`, returns where every message was
 * written, from the acks' base offsets: kafkajs writes a request's messages for one partition
 * in order, and every message has its partition set (unless the topic's partitions were not
 * known: those stay at offset -1).
 */
export async function produce(sender: Sender, out: Outgoing, positions: boolean, onEventTimeRefused?: (topics: string[], error: string) => void): Promise<ProducedPositions | undefined> {
  let written: Map<string, TopicPositions> | undefined;
  if (positions) {
    written = new Map();
    for (const t of out.topics.values()) {
      const n = t.messages.length;
      written.set(t.topic, { partitions: new Int32Array(n), offsets: new Float64Array(n).fill(-1) });
    }
  }
  for (const { parts, bytes } of toRequests(out)) {
    let acks: SentRecord[];
    try {
      acks = await sender.sendBatch(parts, bytes);
    } catch (e) {
      if (refusedTimestamp(e) === undefined || !hasTimestamps(parts)) throw e;
      acks = parts.length === 1 ? await sendRefusingEventTime(sender, parts[0]!, out, e, onEventTimeRefused) : [];
      // the error does not say which topic refused: each goes again on its own
      for (let i = 0; parts.length > 1 && i < parts.length; i++) {
        const part = parts[i]!;
        try {
          acks.push(...(await sender.sendBatch([part])));
        } catch (partError) {
          if (refusedTimestamp(partError) === undefined || !hasTimestamps([part])) throw partError;
          acks.push(...(await sendRefusingEventTime(sender, part, out, partError, onEventTimeRefused)));
        }
      }
    }
    if (!written) continue;
    for (const part of parts) {
      const at = written.get(part.topic)!;
      // next offset per partition (partition numbers are small: an array, not a Map)
      const next: number[] = [];
      for (const a of acks) if (a.topic === part.topic && a.baseOffset !== undefined) next[a.partition] = Number(a.baseOffset);
      const { messages, start } = part;
      for (let i = 0; i < messages.length; i++) {
        const p = messages[i]!.partition;
        if (p === undefined) continue;
        const offset = next[p];
        if (offset === undefined) continue;
        next[p] = offset + 1;
        at.partitions[start + i] = p;
        at.offsets[start + i] = offset;
      }
    }
  }
  return written;
}

/** The broker's message when `e` (or an error it wraps) is Kafka's INVALID_TIMESTAMP, else undefined. */
export function refusedTimestamp(e: unknown): string | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [e];
  while (queue.length) {
    const x = queue.shift();
    if (x === null || typeof x !== "object" || seen.has(x)) continue;
    seen.add(x);
    const err = x as { type?: unknown; code?: unknown; message?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };
    if (err.type === "INVALID_TIMESTAMP" || err.code === 32) return typeof err.message === "string" ? err.message : "INVALID_TIMESTAMP";
    queue.push(err.cause, err.originalError);
    if (Array.isArray(err.errors)) queue.push(...err.errors);
  }
  return undefined;
}

function hasTimestamps(parts: readonly RequestPart[]): boolean {
  return parts.some((p) => p.messages.some((m) => m.timestamp !== undefined));
}

/**
 * `part`'s topic refused its messages' timestamps (`refusal`). Left alone, such a batch would fail
 * on every retry and hold its partition for good: it goes again stamped at write time, and the
 * topic's later messages are stamped so from the start.
 */
async function sendRefusingEventTime(sender: Sender, part: RequestPart, out: Outgoing, refusal: unknown, onEventTimeRefused?: (topics: string[], error: string) => void): Promise<SentRecord[]> {
  for (const m of part.messages) m.timestamp = undefined;
  if (out.eventTimeRefused([part.topic]).length) onEventTimeRefused?.([part.topic], refusedTimestamp(refusal)!);
  return sender.sendBatch([part]);
}

/** Partition counts of every topic a stage writes (as they are in Kafka, which may exceed the plan). */
export async function outputPartitions(kafka: KafkaClient, topics: Iterable<string>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  await Promise.all(
    [...new Set(topics)].map(async (t) => {
      // right after a topic is created its metadata may still be settling (NOT_LEADER...): retry briefly
      for (let attempt = 0; ; attempt++) {
        try {
          counts.set(t, (await kafka.topicEndOffsets(t)).length);
          return;
        } catch (e) {
          if (attempt >= 15) throw e;
          await sleep(200);
        }
      }
    }),
  );
  return counts;
}
