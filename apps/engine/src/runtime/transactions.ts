import type { KafkaClient, KafkaProducer, KafkaTransaction } from "../kafka/index.js";

/**
 * Initialises a transactional producer's id now (kafkajs does it lazily at the first
 * transaction): the broker fences older producers with the same transactional id and
 * finishes their open transaction (abort, or completes a commit already under way).
 * An empty transaction sends nothing on abort.
 */
async function fence(producer: KafkaProducer): Promise<void> {
  const tx = await producer.transaction();
  await tx.abort();
}

/** Connects a transactional producer and fences its id's previous owner; disconnected again if that fails. */
async function fencedProducer(kafka: KafkaClient, transactionalId: string): Promise<KafkaProducer> {
  const producer = kafka.producer({ transactionalId });
  await producer.connect();
  try {
    await fence(producer);
  } catch (e) {
    await producer.disconnect().catch(() => {});
    throw e;
  }
  return producer;
}

/** A consumer group's committed offset of one partition, undefined when it has none. */
async function committedOffset(kafka: KafkaClient, groupId: string, topic: string, partition: number): Promise<number | undefined> {
  const lag = await kafka.groupLag(groupId, [topic]);
  const committed = lag.partitions.find((p) => p.partition === partition)?.committed;
  return committed !== null && committed !== undefined && committed >= 0 ? committed : undefined;
}

/** Runs `body` in one transaction of `producer` and commits it; aborts it (if still open) when anything fails. */
export async function inTransaction(producer: KafkaProducer, body: (tx: KafkaTransaction) => Promise<void>): Promise<void> {
  const tx = await producer.transaction();
  try {
    await body(tx);
    await tx.commit();
  } catch (e) {
    if (tx.isActive()) await tx.abort().catch(() => {});
    throw e;
  }
}

/** A fenced transactional producer of one input partition, and where its partition really starts. */
export interface PartitionProducer {
  producer: KafkaProducer;
  /**
   * The group's committed offset read after fencing (-1 when none): records below it were
   * already processed in a committed transaction and are skipped.
   */
  floor: bigint;
}

/**
 * The transactional producers of a consumer stage (exactly-once): one per input partition,
 * with the stable transactional id `<prefix>.<topic>.<partition>`, so that whichever engine
 * processes a partition next fences the previous one.
 */
export class PartitionProducers {
  private readonly producers = new Map<string, Promise<PartitionProducer>>();

  constructor(
    private readonly kafka: KafkaClient,
    private readonly transactionalIdPrefix: string,
    private readonly groupId: string,
  ) {}

  /**
   * The producer of one input partition, fenced (its transactional id initialised, which aborts
   * or completes a previous owner's open transaction), plus the group's committed offset read
   * AFTER fencing: records below it were already processed in a committed transaction that
   * finished after our consumer fetched its start offset (kafkajs has no require_stable offset
   * fetch), so they are skipped. Made once; a failure forgets it so that the next call retries.
   */
  get(topic: string, partition: number): Promise<PartitionProducer> {
    const key = `${topic}.${partition}`;
    let p = this.producers.get(key);
    if (!p) {
      p = (async () => {
        const producer = await fencedProducer(this.kafka, `${this.transactionalIdPrefix}.${key}`);
        try {
          const committed = await committedOffset(this.kafka, this.groupId, topic, partition);
          return { producer, floor: committed === undefined ? -1n : BigInt(committed) };
        } catch (e) {
          await producer.disconnect().catch(() => {});
          throw e;
        }
      })();
      p.catch(() => {
        if (this.producers.get(key) === p) this.producers.delete(key);
      });
      this.producers.set(key, p);
    }
    return p;
  }

  /** Forgets a partition's producer (fenced, failed, or reassigned): the next get() makes and fences a new one. */
  drop(topic: string, partition: number): void {
    const key = `${topic}.${partition}`;
    const p = this.producers.get(key);
    if (!p) return;
    this.producers.delete(key);
    void p.then((x) => x.producer.disconnect()).catch(() => {});
  }

  /** After a rebalance a partition may have been processed elsewhere meanwhile: fence again and re-read its committed offset. */
  refence(topic: string, partition: number): void {
    this.drop(topic, partition);
    void this.get(topic, partition).catch(() => {});
  }

  async closeAll(): Promise<void> {
    const producers = await Promise.allSettled([...this.producers.values()]);
    await Promise.all(producers.map((p) => (p.status === "fulfilled" ? p.value.producer.disconnect().catch(() => {}) : undefined)));
    this.producers.clear();
  }
}

/**
 * The transactional producer of a polled source stage (exactly-once), id `<prefix>.source`. An
 * integer checkpoint is committed inside the same transaction as the records, as the offset of
 * the stage's consumer group on `checkpointTopic`'s partition 0, and read back from there.
 */
export class SourceProducer {
  private current: KafkaProducer | undefined;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly transactionalId: string,
    private readonly groupId: string,
    private readonly checkpointTopic: string,
  ) {}

  /**
   * (Re)creates the producer and fences: the broker aborts the previous owner's open
   * transaction or finishes its commit. Then returns the checkpoint committed with the records,
   * read back from Kafka (undefined when none was committed yet).
   */
  async refence(): Promise<number | undefined> {
    const old = this.current;
    this.current = undefined;
    await old?.disconnect().catch(() => {});
    this.current = await fencedProducer(this.kafka, this.transactionalId);
    return committedOffset(this.kafka, this.groupId, this.checkpointTopic, 0);
  }

  /** Produces and commits `checkpoint` (when it is a non-negative integer) in one transaction, fencing first if needed. */
  async transaction(checkpoint: unknown, body: (tx: KafkaTransaction) => Promise<void>): Promise<void> {
    if (!this.current) await this.refence();
    await inTransaction(this.current!, async (tx) => {
      await body(tx);
      if (typeof checkpoint === "number" && Number.isSafeInteger(checkpoint) && checkpoint >= 0) {
        await tx.sendOffsets(this.groupId, [{ topic: this.checkpointTopic, partition: 0, offset: String(checkpoint) }]);
      }
    });
  }

  async close(): Promise<void> {
    await this.current?.disconnect().catch(() => {});
  }
}
