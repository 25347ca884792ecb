import type { BatchProcessor, MRecord, SourceProcessor } from "@millrace/processors";
import { keyPartition, type BatchContext, type KafkaClient, type KafkaConsumer, type KafkaProducer, type OutMessage, type Sender, type TopicPartitionOffset } from "../kafka/index.js";
import type { PlannedStage } from "../planner/index.js";
import type { Emitted, Observers } from "./observer.js";
import { decode, encodedBytes, messageBytes } from "./records.js";
import type { StageExecutor, StageOutput } from "./stage.js";

export interface RunnerDeps {
  kafka: KafkaClient;
  flowId: string;
  deploymentId: string;
  stage: PlannedStage;
  executor: StageExecutor;
  observers: Observers;
  exactlyOnce: boolean;
  /** record provenance for this deployment (default true): batches say so to observers, and produced offsets are reported */
  provenance?: boolean;
  /** the flow's shared non-transactional producer (at-least-once), behind a CoalescingSender */
  producer: Sender;
  /** the flow's dead-letter topic (poll-source exactly-once checkpoints are committed against its partition 0) */
  deadLetterTopic: string;
  log(level: "info" | "warn" | "error", msg: string): void;
  /** true once the flow is stopping on this engine (set before the processors' signal aborts) */
  stopping(): boolean;
  /** partitions of the output topics; made by the flow runtime */
  partitions: PartitionChooser;
}

export interface StageRunner {
  readonly stage: PlannedStage;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** back pressure (sources only) */
  setPaused(paused: boolean): void;
  readonly paused: boolean;
}

/** Shortest time between two offset commits of a consumer stage (at-least-once). */
export const COMMIT_INTERVAL_MS = 100;

/** Most bytes one produce request carries: the broker refuses record batches over message.max.bytes (1 MiB by default). */
export const MAX_REQUEST_BYTES = 512 * 1024;

/** One topic's slice of a produce request: `messages` are that topic's list from index `start`. */
export interface RequestPart {
  topic: string;
  messages: OutMessage[];
  start: number;
}

/** One produce request: its parts and their size as counted (encoded key + value + 64 per record). */
export interface ProduceRequest {
  parts: RequestPart[];
  bytes: number;
}

/** Splits a batch's output into produce requests of at most MAX_REQUEST_BYTES (a single larger record goes alone). */
export function toRequests(produce: Map<string, OutMessage[]>, maxBytes = MAX_REQUEST_BYTES): ProduceRequest[] {
  const requests: ProduceRequest[] = [];
  let current: RequestPart[] = [];
  let bytes = 0;
  for (const [topic, messages] of produce) {
    let chunk: OutMessage[] = [];
    let start = 0;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      const size = encodedBytes(m) + 64;
      if (bytes + size > maxBytes && bytes > 0) {
        if (chunk.length) current.push({ topic, messages: chunk, start });
        requests.push({ parts: current, bytes });
        current = [];
        chunk = [];
        start = i;
        bytes = 0;
      }
      chunk.push(m);
      bytes += size;
    }
    if (chunk.length) current.push({ topic, messages: chunk, start });
  }
  if (current.length) requests.push({ parts: current, bytes });
  return requests;
}

/**
 * Produces a batch's output. With `owners`, every output gets the offset (and partition) of each
 * copy it wrote, from the acks' base offsets: kafkajs writes a request's messages for one
 * partition in order, and every message has its partition set (PartitionChooser.assign).
 */
export async function sendAll(sender: Sender, produce: Map<string, OutMessage[]>, owners?: Map<string, Emitted[]>): Promise<void> {
  for (const { parts, bytes } of toRequests(produce)) {
    const acks = await sender.sendBatch(parts, bytes);
    if (!owners) continue;
    for (const part of parts) {
      const who = owners.get(part.topic);
      if (!who) continue;
      // next offset per partition (partition numbers are small: an array, not a Map)
      const next: number[] = [];
      for (const a of acks) if (a.topic === part.topic && a.baseOffset !== undefined) next[a.partition] = Number(a.baseOffset);
      const topic = part.topic;
      for (let i = 0; i < part.messages.length; i++) {
        const p = part.messages[i]!.partition;
        const e = who[part.start + i];
        if (!e || p === undefined) continue;
        const at = next[p];
        if (at === undefined) continue;
        next[p] = at + 1;
        const topics = e.topics;
        if (topics[0] === topic) {
          e.offset = at;
          e.partition = p;
        }
        if (topics.length > 1) {
          const t = topics.indexOf(topic);
          if (t < 0) continue;
          (e.offsets ??= new Array<number>(topics.length))[t] = at;
          (e.partitions ??= new Array<number>(topics.length))[t] = p;
        }
      }
    }
  }
}

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

/**
 * Partition choice. A record without a key keeps its input partition (modulo the output
 * topic's partitions) in consumer stages, and a whole polled batch goes to one partition
 * (rotating) in source stages: one partition per batch makes larger produce requests than
 * kafkajs's per-message round robin, and keeps per-partition order through the flow.
 * Keyed records keep Kafka's key hashing (murmur2), except on internal edge topics in
 * exactly-once mode: there every output partition is written by the one transactional producer
 * of the matching input partition, so transactions never interleave on a partition (kafkajs
 * mis-filters interleaved aborted transactions, see kafkajs-aborted.ts).
 */
export class PartitionChooser {
  constructor(
    private readonly counts: ReadonlyMap<string, number>,
    private readonly internal: ReadonlySet<string>,
    private readonly exactlyOnce: boolean,
  ) {}

  assign(produce: Map<string, OutMessage[]>, slot: number): void {
    for (const [topic, messages] of produce) {
      const q = this.counts.get(topic);
      if (!q) continue;
      const p = slot % q;
      const forceKeyed = this.exactlyOnce && this.internal.has(topic);
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!;
        // keyed: the partition kafkajs's default partitioner would pick, set here so produced offsets can be attributed
        m.partition = m.key == null || forceKeyed ? p : keyPartition(m.key, q);
      }
    }
  }
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

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A consumer stage: consumes its input topics in batches (one consumer group per stage),
 * runs the stage, produces per port, then commits — after the produce was acknowledged
 * (at-least-once), or in one Kafka transaction with a stable transactional id per input
 * partition (exactly-once).
 */
export class ConsumerStageRunner implements StageRunner {
  private consumer: KafkaConsumer | undefined;
  private readonly txProducers = new Map<string, Promise<{ producer: KafkaProducer; floor: bigint }>>();
  /** per input partition: the background produce → commit of its last batch (at-least-once); resolves true when committed */
  private readonly inflight = new Map<string, Promise<boolean>>();
  private stopped = false;
  /** the wish (back pressure); applied to the consumer once it runs */
  private _paused = false;
  /** the consumer whose run() has returned: only then may kafkajs's pause()/resume() be called */
  private running: KafkaConsumer | undefined;

  constructor(private readonly d: RunnerDeps) {}

  get stage(): PlannedStage {
    return this.d.stage;
  }
  get paused(): boolean {
    return this._paused;
  }

  async start(): Promise<void> {
    const { kafka, stage } = this.d;
    this.running = undefined;
    const consumer = kafka.consumer({ groupId: stage.groupId, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 1_000, rebalanceTimeout: 20_000 });
    this.consumer = consumer;
    consumer.onCrash((error, restart) => {
      if (this.stopped || this.consumer !== consumer) return;
      this.d.log("warn", `stage ${stage.id}: consumer crashed (${restart ? "kafkajs restarts it" : "restarting it in 2 s"}): ${error.message}`);
      this.d.observers.onBatchError({ flowId: this.d.flowId, deploymentId: this.d.deploymentId, stageId: stage.id, input: null, error });
      if (!restart) setTimeout(() => void this.restart(consumer), 2000).unref();
    });
    if (this.d.exactlyOnce) {
      // Initialise the transactional producers of the partitions we got at once: that fences a
      // dead engine's producers and aborts their open transactions, which would otherwise hold
      // back read_committed readers downstream until the transaction timeout.
      // After every rebalance a partition may have been processed elsewhere meanwhile: fence again and re-read its committed offset.
      consumer.onGroupJoin((assignment) => {
        for (const [topic, partitions] of Object.entries(assignment))
          for (const p of partitions) {
            this.dropTxProducer(topic, p);
            void this.txProducer(topic, p).catch(() => {});
          }
      });
    }
    await consumer.connect();
    const replay = stage.replayTopic;
    await consumer.subscribe({ topics: stage.inputs.filter((t) => t !== replay), fromBeginning: stage.fromBeginning });
    // replayed copies are written only after a deployment exists: read them all, whatever fromBeginning says
    if (replay) await consumer.subscribe({ topics: [replay], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: stage.concurrency,
      eachBatch: (ctx) => this.onBatch(ctx),
    });
    if (this.consumer !== consumer || this.stopped) return;
    this.running = consumer;
    this.applyPause(); // a pause wished for while the consumer was starting
  }

  /** A consumer kafkajs will not restart itself: make a new one (it resumes from the committed offsets). */
  private async restart(crashed: KafkaConsumer): Promise<void> {
    if (this.stopped || this.consumer !== crashed) return;
    if (this.running === crashed) this.running = undefined;
    await crashed.disconnect().catch(() => {});
    if (this.stopped) return;
    try {
      await this.start();
    } catch (e) {
      this.d.log("warn", `stage ${this.d.stage.id}: restart failed, retrying: ${e instanceof Error ? e.message : e}`);
      setTimeout(() => void this.restart(this.consumer!), 5000).unref();
    }
  }

  /**
   * Safe at any time: before the consumer runs (kafkajs throws "Consumer group was not
   * initialized" from pause() until run() was called), while it restarts, or after stop(), the
   * wish is remembered and applied once the consumer runs.
   */
  setPaused(paused: boolean): void {
    if (paused === this._paused) return;
    this._paused = paused;
    this.applyPause();
  }

  private applyPause(): void {
    const c = this.running;
    if (!c || c !== this.consumer || this.stopped) return;
    const topics = this.d.stage.inputs.map((topic) => ({ topic }));
    try {
      if (this._paused) c.pause(topics);
      else c.resume(topics);
    } catch (e) {
      this.d.log("warn", `stage ${this.d.stage.id}: could not ${this._paused ? "pause" : "resume"} its consumer (applied when it runs again): ${e instanceof Error ? e.message : e}`);
    }
  }

  /**
   * The transactional producer of one input partition, fenced (its transactional id
   * initialised, which aborts or completes a previous owner's open transaction), plus the
   * group's committed offset read AFTER fencing: records below it were already processed in a
   * committed transaction that finished after our consumer fetched its start offset (kafkajs
   * has no require_stable offset fetch), so they are skipped.
   */
  private txProducer(topic: string, partition: number): Promise<{ producer: KafkaProducer; floor: bigint }> {
    const key = `${topic}.${partition}`;
    let p = this.txProducers.get(key);
    if (!p) {
      p = (async () => {
        const producer = this.d.kafka.producer({ transactionalId: `${this.d.stage.transactionalIdPrefix}.${key}` });
        await producer.connect();
        try {
          await fence(producer);
          const lag = await this.d.kafka.groupLag(this.d.stage.groupId, [topic]);
          const committed = lag.partitions.find((x) => x.partition === partition)?.committed;
          return { producer, floor: committed !== null && committed !== undefined && committed >= 0 ? BigInt(committed) : -1n };
        } catch (e) {
          await producer.disconnect().catch(() => {});
          throw e;
        }
      })();
      p.catch(() => {
        if (this.txProducers.get(key) === p) this.txProducers.delete(key);
      });
      this.txProducers.set(key, p);
    }
    return p;
  }

  /** Forgets a partition's producer (fenced, failed, or reassigned): the next batch makes a new one. */
  private dropTxProducer(topic: string, partition: number): void {
    const key = `${topic}.${partition}`;
    const p = this.txProducers.get(key);
    if (!p) return;
    this.txProducers.delete(key);
    void p.then((x) => x.producer.disconnect()).catch(() => {});
  }

  /**
   * One fetched batch of one partition. At-least-once runs a two-step pipeline per partition:
   * the batch is decoded and processed while the previous batch's produce + commit is still in
   * flight; then it waits for that (so at most two batches of a partition are in the air and
   * commits stay in order), starts its own produce → commit in the background and returns, so
   * kafkajs fetches the next batch meanwhile. Offsets are committed only after that batch's
   * records were acknowledged (acks=all). A failed produce/commit seeks the partition back to
   * the failed batch's first offset (the batches after it were neither produced nor committed)
   * and the fetch starts again from there. Exactly-once keeps the sequential path: each batch's
   * records and offsets go in one transaction.
   */
  private async onBatch(ctx: BatchContext): Promise<void> {
    const { batch } = ctx;
    let messages = batch.messages;
    if (messages.length === 0 || ctx.isStale() || !ctx.isRunning()) return;
    const startedAt = Date.now();
    let tx: { producer: KafkaProducer; floor: bigint } | undefined;
    if (this.d.exactlyOnce) {
      tx = await this.txProducer(batch.topic, batch.partition);
      if (BigInt(messages[0]!.offset) < tx.floor) {
        const floor = tx.floor;
        messages = messages.filter((m) => BigInt(m.offset) >= floor);
        if (!messages.length) return;
      }
    }
    const n = messages.length;
    const records: MRecord[] = new Array(n);
    const offsets: string[] = new Array(n);
    let bytesIn = 0;
    for (let i = 0; i < n; i++) {
      const m = messages[i]!;
      records[i] = decode(m);
      offsets[i] = m.offset;
      bytesIn += messageBytes(m);
    }
    const input = { topic: batch.topic, partition: batch.partition, firstOffset: offsets[0]!, lastOffset: offsets[n - 1]! };
    const key = `${batch.topic}\0${batch.partition}`;
    const fail = (e: unknown): Error => {
      const error = e instanceof Error ? e : new Error(String(e));
      this.d.observers.onBatchError({ flowId: this.d.flowId, deploymentId: this.d.deploymentId, stageId: this.d.stage.id, input: { topic: batch.topic, partition: batch.partition }, error });
      if (!this.stopped) this.d.log("warn", `stage ${this.d.stage.id} ${batch.topic}[${batch.partition}]@${input.firstOffset}: batch failed, retrying: ${error.message}`);
      return error;
    };
    let out: StageOutput;
    try {
      // Slow processors (HTTP, databases) must not cost the group membership: kafkajs only
      // heartbeats between batches unless asked to.
      const hb = setInterval(() => void ctx.heartbeat().catch(() => {}), 1000);
      try {
        out = await this.d.executor.runConsumer(records, offsets, bytesIn);
      } finally {
        clearInterval(hb);
      }
    } catch (e) {
      const error = fail(e);
      await sleep(500);
      throw error; // not resolved: kafkajs fetches this batch again
    }
    const next: TopicPartitionOffset = { topic: batch.topic, partition: batch.partition, offset: (BigInt(input.lastOffset) + 1n).toString() };
    const done = () =>
      this.d.observers.onBatch({
        flowId: this.d.flowId,
        deploymentId: this.d.deploymentId,
        stageId: this.d.stage.id,
        input,
        startedAt,
        durationMs: Date.now() - startedAt,
        transactional: this.d.exactlyOnce,
        provenance: this.d.provenance !== false,
        nodes: out.nodes,
      });
    const owners = this.d.provenance !== false ? out.owners : undefined;

    if (!tx) {
      // wait for the previous batch of this partition; if it failed, it has sought back: drop this one
      const prev = this.inflight.get(key);
      if (prev && !(await prev)) return;
      // Stopping (the processors' signal was aborted, so their results may be aborts) or the
      // partition was taken away / sought back: write and commit nothing; consumed again later.
      if (this.stopped || this.d.stopping() || ctx.isStale()) return;
      if (out.count) this.d.partitions.assign(out.produce, batch.partition);
      const consumer = this.consumer!;
      let task: Promise<boolean> | undefined = undefined;
      task = (async (): Promise<boolean> => {
        try {
          if (out.count) await sendAll(this.d.producer, out.produce, owners);
        } catch (e) {
          fail(e);
          // the batches after this one wait for it and drop themselves; fetch again from here
          try {
            consumer.seek({ topic: batch.topic, partition: batch.partition, offset: input.firstOffset });
          } catch {
            /* not running any more: it restarts from the committed offset */
          }
          await sleep(500);
          return false;
        } finally {
          if (this.inflight.get(key) === task) this.inflight.delete(key);
        }
        // acknowledged: the next batch of this partition may produce now; the commit follows
        // in the background, coalesced with the other partitions' (one commit request in flight)
        this.commitLater(consumer, next, done);
        return true;
      })();
      this.inflight.set(key, task);
      return;
    }

    try {
      if (this.stopped || this.d.stopping() || ctx.isStale()) return;
      await ctx.heartbeat();
      if (out.count) this.d.partitions.assign(out.produce, batch.partition);
      const t = await tx.producer.transaction();
      try {
        if (out.count) await sendAll(t, out.produce, owners);
        await t.sendOffsets(this.d.stage.groupId, [next]);
        await t.commit();
      } catch (e) {
        if (t.isActive()) await t.abort().catch(() => {});
        this.dropTxProducer(batch.topic, batch.partition); // maybe fenced: start over with a fresh one
        throw e;
      }
    } catch (e) {
      const error = fail(e);
      await sleep(500);
      throw error; // kafkajs re-fetches from the committed offset
    }
    done();
  }

  /** acknowledged batches whose offsets are not committed yet, per input partition (newest offset wins) */
  private readonly pending = new Map<string, { offset: TopicPartitionOffset; done: (() => void)[]; failures: number }>();
  private committing: Promise<void> | undefined;
  private lastCommitAt = 0;
  /** ends the wait before the next commit (stop) */
  private wakeCommit: (() => void) | undefined;

  /**
   * Commits `next` after the batch's records were acknowledged, without holding up the
   * partition's next produce: commits of every partition are coalesced into one request, one
   * in flight at a time and at most one per COMMIT_INTERVAL_MS. Observers hear of a batch once
   * its offset is committed. Nothing is committed while stopping (the records are consumed
   * again later: at-least-once).
   */
  private commitLater(consumer: KafkaConsumer, next: TopicPartitionOffset, done: () => void): void {
    const k = `${next.topic}\0${next.partition}`;
    const p = this.pending.get(k);
    if (p) {
      p.offset = next;
      p.done.push(done);
    } else this.pending.set(k, { offset: next, done: [done], failures: 0 });
    this.committing ??= this.flushCommits(consumer).finally(() => (this.committing = undefined));
  }

  private async flushCommits(consumer: KafkaConsumer): Promise<void> {
    while (this.pending.size) {
      // At most one commit per COMMIT_INTERVAL_MS and stage: at a few thousand records/s the
      // batches are small, and a commit per batch was a large share of the engine's requests
      // (a socket write each) for nothing but a smaller redelivery window.
      const wait = this.lastCommitAt + COMMIT_INTERVAL_MS - Date.now();
      if (wait > 0 && !this.stopped) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, wait);
          this.wakeCommit = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wakeCommit = undefined;
      }
      if (this.stopped || this.d.stopping() || this.consumer !== consumer) {
        this.pending.clear();
        return;
      }
      const list = [...this.pending.entries()];
      this.pending.clear();
      this.lastCommitAt = Date.now();
      try {
        await consumer.commitOffsets(list.map(([, x]) => x.offset));
      } catch (e) {
        const error = e instanceof Error ? e : new Error(String(e));
        this.d.observers.onBatchError({ flowId: this.d.flowId, deploymentId: this.d.deploymentId, stageId: this.d.stage.id, input: null, error });
        if (!this.stopped) this.d.log("warn", `stage ${this.d.stage.id}: offset commit failed, retrying: ${error.message}`);
        // retried with the next commit (a newer offset of the same partition supersedes it); after 3
        // failures given up: the records were produced, so at worst they are consumed again
        for (const [k, x] of list) {
          if (++x.failures >= 3) continue;
          const cur = this.pending.get(k);
          if (cur) cur.done.unshift(...x.done);
          else this.pending.set(k, x);
        }
        await sleep(500);
        continue;
      }
      for (const [, x] of list) for (const d of x.done) d();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeCommit?.();
    this.running = undefined;
    const c = this.consumer;
    if (c) {
      await c.stop().catch(() => {});
      await Promise.allSettled([...this.inflight.values()]);
      await this.committing?.catch(() => {});
      await c.disconnect().catch(() => {});
    }
    const producers = await Promise.allSettled([...this.txProducers.values()]);
    await Promise.all(producers.map((p) => (p.status === "fulfilled" ? p.value.producer.disconnect().catch(() => {}) : undefined)));
    this.txProducers.clear();
  }
}


export interface CheckpointStore {
  load(flowId: string, nodeId: string): Promise<unknown | undefined>;
  save(flowId: string, nodeId: string, checkpoint: unknown): Promise<void>;
}

/**
 * A polled source stage (generate, http-listen, postgres-poll): runs on one engine at a time
 * (the caller holds the lease). Polls, runs the fused nodes, produces, then persists the
 * source's checkpoint (at-least-once). In exactly-once mode an integer checkpoint is also
 * committed, inside the same Kafka transaction as the records, as the offset of a dedicated
 * consumer group on the dead-letter topic's partition 0, and read back from there on restart.
 */
export class SourceStageRunner implements StageRunner {
  private stopped = false;
  private _paused = false;
  private loop: Promise<void> | undefined;
  private txProducer: KafkaProducer | undefined;
  private readonly abort = new AbortController();
  /** true once the source said it is done (a finite generate) */
  done = false;

  constructor(
    private readonly d: RunnerDeps,
    private readonly source: SourceProcessor,
    private readonly checkpoints: CheckpointStore,
    private readonly batchSize = 1000,
  ) {}

  get stage(): PlannedStage {
    return this.d.stage;
  }
  get paused(): boolean {
    return this._paused;
  }
  setPaused(paused: boolean): void {
    this._paused = paused;
  }

  async start(): Promise<void> {
    const { stage, flowId } = this.d;
    let checkpoint = await this.checkpoints.load(flowId, stage.head);
    if (this.d.exactlyOnce) {
      const committed = await this.refence();
      if (committed !== undefined) checkpoint = committed;
    }
    await this.source.open?.(checkpoint);
    this.produced = checkpoint;
    this.launch(checkpoint);
  }

  /** the checkpoint of the last batch produced (where a restarted loop goes on from) */
  private produced: unknown;

  /**
   * Runs the poll loop. It handles its own errors; should anything still escape, the stage is
   * reported failed (onBatchError + log) and the loop restarts from the last produced
   * checkpoint after 2 s, instead of an unhandled rejection taking the engine down.
   */
  private launch(from: unknown): void {
    this.loop = this.run(from).catch((e) => {
      const error = e instanceof Error ? e : new Error(String(e));
      if (this.stopped) return;
      this.d.observers.onBatchError({ flowId: this.d.flowId, deploymentId: this.d.deploymentId, stageId: this.d.stage.id, input: null, error });
      this.d.log("error", `source ${this.d.stage.head}: poll loop failed, restarting it in 2 s: ${error.stack ?? error.message}`);
      setTimeout(() => {
        if (!this.stopped && !this.done) this.launch(this.produced);
      }, 2000).unref();
    });
  }

  private async run(initial: unknown): Promise<void> {
    let saved = initial;
    this.produced = initial;
    try {
      await this.pollLoop(() => saved, (c) => (this.produced = c), async (c) => {
        await this.checkpoints.save(this.d.flowId, this.d.stage.head, c);
        saved = c;
      });
    } finally {
      const produced = this.produced;
      if (produced !== saved && produced !== undefined) await this.checkpoints.save(this.d.flowId, this.d.stage.head, produced).catch(() => {});
    }
  }

  private async pollLoop(saved: () => unknown, setProduced: (c: unknown) => void, save: (c: unknown) => Promise<void>): Promise<void> {
    let lastSave = 0;
    while (!this.stopped) {
      if (this._paused) {
        await sleep(50);
        continue;
      }
      let polled: Awaited<ReturnType<SourceProcessor["poll"]>>;
      try {
        polled = await this.source.poll(this.batchSize);
      } catch (e) {
        this.d.log("warn", `source ${this.d.stage.head}: poll failed: ${e instanceof Error ? e.message : e}`);
        await sleep(1000);
        continue;
      }
      if (this.stopped || this.d.stopping()) return; // not produced, not checkpointed: polled again after a restart
      if (polled.records.length) {
        const startedAt = Date.now();
        let out: StageOutput | undefined;
        let ok = false;
        for (let attempt = 0; !this.stopped; attempt++) {
          try {
            out ??= await this.d.executor.runSource(polled.records);
            if (this.stopped || this.d.stopping()) break;
            await this.produce(out, polled.checkpoint);
            ok = true;
            break;
          } catch (e) {
            this.d.observers.onBatchError({ flowId: this.d.flowId, deploymentId: this.d.deploymentId, stageId: this.d.stage.id, input: null, error: e instanceof Error ? e : new Error(String(e)) });
            this.d.log("warn", `source ${this.d.stage.head}: produce failed (attempt ${attempt + 1}), retrying: ${e instanceof Error ? e.message : e}`);
            await sleep(Math.min(5000, 200 * 2 ** attempt));
            // Exactly-once: a commit that failed on our side may have succeeded on the broker.
            // Start over with a fresh (fenced) producer and ask Kafka where the checkpoint is.
            if (this.d.exactlyOnce && !this.stopped) {
              try {
                if ((await this.refence()) === polled.checkpoint) {
                  ok = true;
                  break;
                }
              } catch (err) {
                this.d.log("warn", `source ${this.d.stage.head}: could not re-initialise its transactional producer: ${err instanceof Error ? err.message : err}`);
              }
            }
          }
        }
        if (!ok || !out) return; // stopped before the records were written: not checkpointed either
        setProduced(polled.checkpoint);
        if (out)
          this.d.observers.onBatch({
            flowId: this.d.flowId,
            deploymentId: this.d.deploymentId,
            stageId: this.d.stage.id,
            input: null,
            checkpoint: polled.checkpoint,
            startedAt,
            durationMs: Date.now() - startedAt,
            transactional: this.d.exactlyOnce,
            provenance: this.d.provenance !== false,
            nodes: out.nodes,
          });
      }
      if (!polled.records.length && polled.checkpoint !== undefined) setProduced(polled.checkpoint);
      if (polled.checkpoint !== undefined && polled.checkpoint !== saved() && (polled.done || Date.now() - lastSave >= 100)) {
        try {
          await save(polled.checkpoint);
          lastSave = Date.now();
        } catch (e) {
          this.d.log("warn", `source ${this.d.stage.head}: could not save checkpoint: ${e instanceof Error ? e.message : e}`);
        }
      }
      if (polled.done) {
        this.done = true;
        return;
      }
    }
  }

  /**
   * (Re)creates the transactional producer and fences: the broker aborts the previous owner's
   * open transaction or finishes its commit. Then the checkpoint committed with the records is
   * read back from Kafka (undefined when none was committed yet).
   */
  private async refence(): Promise<number | undefined> {
    const old = this.txProducer;
    this.txProducer = undefined;
    await old?.disconnect().catch(() => {});
    const producer = this.d.kafka.producer({ transactionalId: `${this.d.stage.transactionalIdPrefix}.source` });
    await producer.connect();
    try {
      await fence(producer);
    } catch (e) {
      await producer.disconnect().catch(() => {});
      throw e;
    }
    this.txProducer = producer;
    const lag = await this.d.kafka.groupLag(this.d.stage.groupId, [this.d.deadLetterTopic]);
    const committed = lag.partitions.find((p) => p.partition === 0)?.committed;
    return committed !== null && committed !== undefined && committed >= 0 ? committed : undefined;
  }

  private slot = Math.floor(Math.random() * 1024);

  private async produce(out: StageOutput, checkpoint: unknown): Promise<void> {
    if (out.count) this.d.partitions.assign(out.produce, this.slot++);
    if (this.d.exactlyOnce) {
      if (!this.txProducer) await this.refence();
      const tx = await this.txProducer!.transaction();
      try {
        if (out.count) await sendAll(tx, out.produce, this.owners(out));
        if (typeof checkpoint === "number" && Number.isSafeInteger(checkpoint) && checkpoint >= 0) {
          await tx.sendOffsets(this.d.stage.groupId, [{ topic: this.d.deadLetterTopic, partition: 0, offset: String(checkpoint) }]);
        }
        await tx.commit();
      } catch (e) {
        if (tx.isActive()) await tx.abort().catch(() => {});
        throw e;
      }
    } else if (out.count) {
      await sendAll(this.d.producer, out.produce, this.owners(out));
    }
  }

  private owners(out: StageOutput): Map<string, Emitted[]> | undefined {
    return this.d.provenance !== false ? out.owners : undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.loop?.catch(() => {});
    await this.txProducer?.disconnect().catch(() => {});
  }
}
