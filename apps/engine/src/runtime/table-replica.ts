import { randomUUID } from "node:crypto";
import type { InMessage, KafkaClient, KafkaConsumer } from "../kafka/index.js";
import { decodeChange } from "../state/changelog.js";

/** Rows one engine keeps of a table it looks rows up in. */
export const DEFAULT_MAX_ROWS = 1_000_000;
/** Nothing delivered for this long: the rest up to the end offsets is transaction markers, or nothing. */
const QUIET_MS = 1_000;
/** Consumer groups of replicas: throwaway, deleted when the replica stops. */
export const REPLICA_GROUP_PREFIX = "mr-lookup.";

export interface TableReplicaOptions {
  kafka: KafkaClient;
  topic: string;
  /** the topic is a flow's changelog (JSON values, tombstones); else an external compacted topic (JSON or text values) */
  changelog: boolean;
  maxRows?: number;
  log(level: "info" | "warn", msg: string): void;
}

/**
 * A whole table, kept current on this engine from the topic that holds it (every partition, from
 * the beginning, committing nothing): what a join looks rows up in, like Kafka Streams' global
 * tables, so the joined stream needs no repartitioning. `ready()` resolves once it has read up to
 * the end offsets the topic had when it started.
 */
export class TableReplica {
  private readonly rows = new Map<string, unknown>();
  private consumer: KafkaConsumer | undefined;
  private readonly groupId = `${REPLICA_GROUP_PREFIX}${randomUUID()}`;
  private caughtUp!: () => void;
  readonly ready: Promise<void> = new Promise((r) => (this.caughtUp = r));
  private warnedFull = false;

  constructor(private readonly o: TableReplicaOptions) {}

  get(key: string): unknown {
    return this.rows.get(key);
  }

  get size(): number {
    return this.rows.size;
  }

  async start(): Promise<void> {
    const { kafka, topic } = this.o;
    if (!this.o.changelog && !(await kafka.listTopics()).includes(topic)) throw new Error(`the table topic "${topic}" does not exist`);
    const ends = await kafka.topicEndOffsets(topic).catch(() => []);
    /** per partition, the offset to reach before the replica counts as caught up */
    const waiting = new Map(ends.filter((p) => p.high > p.low).map((p) => [p.partition, p.high]));
    if (!waiting.size) this.caughtUp();
    const consumer = kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 200 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let lastBatchAt = Date.now();
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        lastBatchAt = Date.now();
        for (const m of batch.messages) this.apply(m, batch.partition);
        const next = batch.messages.length ? Number(batch.messages[batch.messages.length - 1]!.offset) + 1 : 0;
        const target = waiting.get(batch.partition);
        if (target !== undefined && next >= target) {
          waiting.delete(batch.partition);
          if (!waiting.size) this.caughtUp();
        }
      },
    });
    // what is left before an end offset may be transaction markers, never delivered: a quiet second means there is nothing more
    const quiet = setInterval(() => {
      if (Date.now() - lastBatchAt < QUIET_MS) return;
      clearInterval(quiet);
      this.caughtUp();
    }, QUIET_MS / 4);
    quiet.unref();
    void this.ready.then(() => clearInterval(quiet));
  }

  private apply(m: InMessage, partition: number): void {
    let key: string;
    let value: unknown;
    if (this.o.changelog) {
      const c = decodeChange(m, { topic: this.o.topic, partition });
      key = c.key;
      value = c.value;
    } else {
      if (m.key === null) return;
      key = m.key.toString("utf8");
      if (m.value === null) value = null;
      else {
        const text = m.value.toString("utf8");
        try {
          value = JSON.parse(text);
        } catch {
          value = text;
        }
      }
    }
    if (value === null) {
      this.rows.delete(key);
      return;
    }
    if (!this.rows.has(key) && this.rows.size >= (this.o.maxRows ?? DEFAULT_MAX_ROWS)) {
      if (!this.warnedFull) this.o.log("warn", `the copy of table ${this.o.topic} holds ${this.rows.size} rows, its bound: new keys are not looked up`);
      this.warnedFull = true;
      return;
    }
    this.rows.set(key, value);
  }

  async stop(): Promise<void> {
    const c = this.consumer;
    this.consumer = undefined;
    if (!c) return;
    await c.stop().catch(() => {});
    await c.disconnect().catch(() => {});
    await this.o.kafka.deleteGroups([this.groupId]).catch(() => {});
  }
}
