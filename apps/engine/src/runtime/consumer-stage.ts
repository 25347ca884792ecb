import { setTimeout as sleep } from "node:timers/promises";
import type { MRecord } from "@millrace/processors";
import type { BatchContext, KafkaConsumer, TopicPartitionOffset } from "../kafka/index.js";
import { errorMessage } from "../log.js";
import { withTimeout } from "../timeout.js";
import type { PlannedStage } from "../planner/index.js";
import { OffsetCommitter } from "./commits.js";
import { produce, UNMEASURED, type ProducedPositions } from "./producing.js";
import { decode, messageBytes } from "./records.js";
import { eventTimeRefusedWarning, type RunnerDeps, type StageRunner } from "./stage-runner.js";
import type { StageOutput } from "./stage.js";
import { inTransaction, PartitionProducers, type PartitionProducer } from "./transactions.js";
import type { BatchTable } from "./table-state.js";

const NOTHING = (): void => {};

/** a member not heard of for this long is thrown out of its group */
const SESSION_TIMEOUT_MS = 10_000;
/**
 * Longest wait for in-flight batches before the partitions are given up: the whole group waits
 * meanwhile, and no heartbeat is sent (kafkajs is about to rejoin or leave), so it stays well
 * under the session timeout.
 */
const REVOKE_DRAIN_LIMIT_MS = SESSION_TIMEOUT_MS / 2;

/**
 * A consumer stage: consumes its input topics in batches (one consumer group per stage),
 * runs the stage, produces per port, then commits — after the produce was acknowledged
 * (at-least-once, OffsetCommitter), or in one Kafka transaction with a stable transactional id
 * per input partition (exactly-once, PartitionProducers).
 */
export class ConsumerStageRunner implements StageRunner {
  private consumer: KafkaConsumer | undefined;
  /** commits the offsets of `consumer` (at-least-once) */
  private committer: OffsetCommitter | undefined;
  private readonly producers: PartitionProducers;
  private readonly eventTimeRefused: (topics: string[], error: string) => void;
  /** per input partition: the background produce → commit of its last batch (at-least-once); resolves true when committed */
  private readonly inflight = new Map<string, Promise<boolean>>();
  /** the batches kafkajs is handing us right now (onBatch calls not yet returned) */
  private readonly handling = new Set<Promise<void>>();
  /** counts the times the partitions were given up: a batch fetched in an older generation is neither produced nor committed */
  private generation = 0;
  private stopped = false;
  /** the wish (back pressure); applied to the consumer once it runs */
  private _paused = false;
  /** the consumer whose run() has returned: only then may kafkajs's pause()/resume() be called */
  private running: KafkaConsumer | undefined;

  constructor(private readonly d: RunnerDeps) {
    this.eventTimeRefused = eventTimeRefusedWarning(d);
    this.producers = new PartitionProducers(d.kafka, d.stage.transactionalIdPrefix, d.stage.groupId);
  }

  get stage(): PlannedStage {
    return this.d.stage;
  }
  get paused(): boolean {
    return this._paused;
  }

  async start(): Promise<void> {
    const { kafka, stage } = this.d;
    this.running = undefined;
    const consumer: KafkaConsumer = kafka.consumer({
      groupId: stage.groupId,
      maxWaitTimeInMs: 100,
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 20_000,
      onPartitionsRevoked: (lost) => this.partitionsRevoked(consumer, lost),
    });
    this.consumer = consumer;
    this.committer = this.newCommitter(consumer);
    consumer.onCrash((error, restart) => {
      if (this.stopped || this.consumer !== consumer) return;
      this.d.log(
        "warn",
        `stage ${stage.id}: its Kafka consumer crashed (${error.message}); ${restart ? "kafkajs restarts it" : "restarting it in 2 s"} from the committed offsets. If it repeats, check the brokers (KAFKA_BROKERS) and the topics ${stage.inputs.join(", ")}`,
        error,
      );
      this.d.observers.onBatchError({ flowId: this.d.flowId, deploymentId: this.d.deploymentId, stageId: stage.id, input: null, error });
      if (!restart) setTimeout(() => void this.restart(consumer), 2000).unref();
    });
    if (this.d.exactlyOnce) {
      // Initialise the transactional producers of the partitions we got at once: that fences a
      // dead engine's producers and aborts their open transactions, which would otherwise hold
      // back read_committed readers downstream until the transaction timeout.
      consumer.onGroupJoin((assignment) => {
        for (const [topic, partitions] of Object.entries(assignment)) for (const p of partitions) this.producers.refence(topic, p);
      });
    }
    const copier = this.d.copier;
    if (copier?.assigned) consumer.onGroupJoin((assignment) => copier.assigned!(assignment));
    await consumer.connect();
    const replay = stage.replayTopic;
    await consumer.subscribe({ topics: stage.inputs.filter((t) => t !== replay), fromBeginning: stage.fromBeginning });
    // replayed copies are written only after a deployment exists: read them all, whatever fromBeginning says
    if (replay) await consumer.subscribe({ topics: [replay], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      // onBatch moves the fetch position past the batches it writes and no others. kafkajs would
      // also move it past a batch onBatch dropped (its predecessor's produce failed, or the group
      // was rejoined meanwhile), after the seek back or the new generation's start from the
      // committed offset was applied: the dropped records were then never read again.
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: stage.concurrency,
      eachBatch: (ctx) => this.handle(ctx),
    });
    if (this.consumer !== consumer || this.stopped) return;
    this.running = consumer;
    this.applyPause(); // a pause wished for while the consumer was starting
  }

  /** One committer per consumer and generation: offsets of a replaced consumer or of partitions given up are dropped with it. */
  private newCommitter(consumer: KafkaConsumer): OffsetCommitter {
    const { stage } = this.d;
    return new OffsetCommitter({
      commit: (offsets) => consumer.commitOffsets(offsets),
      halted: () => this.consumer !== consumer,
      failed: (error) => {
        this.d.observers.onBatchError({ flowId: this.d.flowId, deploymentId: this.d.deploymentId, stageId: stage.id, input: null, error });
        if (!this.stopped) {
          this.d.log(
            "warn",
            `stage ${stage.id}: committing its consumer offsets to Kafka failed (${error.message}); retrying. Nothing is lost: records processed since the last commit are processed again if the stage restarts first. If it persists, check the brokers (KAFKA_BROKERS)`,
            error,
          );
        }
      },
    });
  }

  /**
   * Before kafkajs rejoins the group (a rebalance) or leaves it (stop): every batch fetched so
   * far becomes stale, so those not yet producing are dropped (their partition's owner reads them
   * again); those producing finish, and their offsets are committed with the generation being
   * given up. The next owner of each partition then starts right after what was written, and
   * this engine writes nothing more for partitions it may no longer own.
   */
  private async partitionsRevoked(consumer: KafkaConsumer, lost: boolean): Promise<void> {
    if (this.consumer !== consumer) return;
    this.generation++;
    const committer = this.committer!;
    this.committer = this.newCommitter(consumer);
    if (!lost) {
      const drained = (async () => {
        await Promise.allSettled([...this.handling, ...this.inflight.values()]);
        await committer.flush();
      })();
      try {
        await withTimeout(drained, REVOKE_DRAIN_LIMIT_MS, "finishing the in-flight batches");
      } catch (e) {
        this.d.log(
          "warn",
          `stage ${this.d.stage.id}: its in-flight batches did not finish within ${REVOKE_DRAIN_LIMIT_MS / 1000} s of a consumer group rebalance or stop (${errorMessage(e)}); the partitions are given up anyway and their uncommitted records are processed again by the next owner (duplicates at-least-once). If it repeats, check the brokers (KAFKA_BROKERS)`,
          e,
        );
      }
    }
    committer.stop();
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
      this.d.log("warn", `stage ${this.d.stage.id}: restarting its Kafka consumer failed (${errorMessage(e)}); retrying in 5 s; the stage reads nothing until it succeeds (check the brokers: KAFKA_BROKERS)`, e);
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
      this.d.log("warn", `stage ${this.d.stage.id}: could not ${this._paused ? "pause" : "resume"} its consumer (${errorMessage(e)}); applied when it runs again`, e);
    }
  }

  /** onBatch, tracked so that partitionsRevoked can wait for the batches kafkajs is still handing over */
  private handle(ctx: BatchContext): Promise<void> {
    const p = this.onBatch(ctx);
    this.handling.add(p);
    const forget = () => this.handling.delete(p);
    p.then(forget, forget);
    return p;
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
    const generation = this.generation;
    const startedAt = Date.now();
    let tx: PartitionProducer | undefined;
    if (this.d.exactlyOnce) {
      tx = await this.producers.get(batch.topic, batch.partition);
      if (BigInt(messages[0]!.offset) < tx.floor) {
        const floor = tx.floor;
        messages = messages.filter((m) => BigInt(m.offset) >= floor);
        if (!messages.length) {
          // all written by a transaction committed before: move on
          if (generation === this.generation) ctx.resolveOffset(batch.lastOffset());
          return;
        }
      }
    }
    const n = messages.length;
    const copier = this.d.copier;
    const input = { topic: batch.topic, partition: batch.partition, firstOffset: messages[0]!.offset, lastOffset: messages[n - 1]!.offset };
    const key = `${batch.topic}\0${batch.partition}`;
    const fail = (e: unknown): Error => {
      const error = e instanceof Error ? e : new Error(String(e));
      this.d.observers.onBatchError({ flowId: this.d.flowId, deploymentId: this.d.deploymentId, stageId: this.d.stage.id, input: { topic: batch.topic, partition: batch.partition }, error });
      if (!this.stopped) {
        this.d.log(
          "warn",
          `stage ${this.d.stage.id} ${batch.topic}[${batch.partition}]@${input.firstOffset}: batch failed, retrying: ${error.message}. The partition waits on this batch (nothing is skipped) until the cause named here is fixed, e.g. a sink's system reachable again`,
          error,
        );
      }
      return error;
    };
    let out: StageOutput;
    /** bytes copied (a copier's batch) */
    let copiedBytes = 0;
    /**
     * the stage's table for this partition: a batch reads what the one before wrote, committed or
     * still being produced (so it is processed meanwhile), and is committed after it or dropped with it
     */
    let table: BatchTable | undefined;
    const tables = this.d.tables;
    try {
      if (tables) table = await tables.forBatch(batch.partition, generation);
      if (copier) {
        const copy = copier.outgoing(batch.topic, batch.partition, messages);
        out = { outgoing: copy.outgoing, nodes: [] };
        copiedBytes = copy.bytes;
      } else {
        const records: MRecord[] = new Array(n);
        const offsets: string[] = new Array(n);
        let bytesIn = 0;
        const decoder = this.d.decoder;
        if (decoder) await decoder.prepare(messages);
        const valuesUnread = this.d.stage.valuesUnread === true;
        for (let i = 0; i < n; i++) {
          const m = messages[i]!;
          records[i] = decoder ? decoder.decode(m) : decode(m, valuesUnread);
          offsets[i] = m.offset;
          bytesIn += messageBytes(m);
        }
        // Slow processors (HTTP, databases) must not cost the group membership: kafkajs only
        // heartbeats between batches unless asked to.
        const hb = setInterval(() => void ctx.heartbeat().catch(() => {}), 1000);
        try {
          // unkeyed records keep their input partition
          out = await this.d.executor.runConsumer(records, offsets, bytesIn, { chooser: this.d.partitions, slot: batch.partition }, table);
        } finally {
          clearInterval(hb);
        }
        // the table's changes go with the outputs (and in their transaction): the changelog partition is the input partition
        if (table) for (const m of table.changelog()) out.outgoing.add(tables!.changelogTopic, m, UNMEASURED);
      }
    } catch (e) {
      table?.discard();
      const error = fail(e);
      await sleep(500);
      throw error; // not resolved: kafkajs fetches this batch again
    }
    const { outgoing } = out;
    const next: TopicPartitionOffset = { topic: batch.topic, partition: batch.partition, offset: (BigInt(input.lastOffset) + 1n).toString() };
    const provenance = this.d.provenance !== false;
    /** where the records went, for provenance (see producing.ts) */
    let positions: ProducedPositions | undefined;
    const done = () =>
      copier ? copier.copied(input, n, copiedBytes, positions) : this.d.observers.onBatch({
        flowId: this.d.flowId,
        deploymentId: this.d.deploymentId,
        stageId: this.d.stage.id,
        input,
        startedAt,
        durationMs: Date.now() - startedAt,
        transactional: this.d.exactlyOnce,
        provenance,
        nodes: out.nodes,
        positions,
      });

    if (!tx) {
      // wait for the previous batch of this partition; if it failed, it has sought back: drop this one
      const prev = this.inflight.get(key);
      if (prev && !(await prev)) {
        table?.discard();
        return;
      }
      // Stopping (the processors' signal was aborted, so their results may be aborts), the
      // partitions were given up, or this one was sought back: write and commit nothing; it is
      // consumed again later. Checked right before the task is registered (no await between),
      // so the partitions-revoked hook sees every batch that is producing.
      if (this.stopped || this.d.stopping() || ctx.isStale() || generation !== this.generation) {
        table?.discard();
        return;
      }
      const consumer = this.consumer!;
      const committer = this.committer!;
      let task: Promise<boolean> | undefined = undefined;
      task = (async (): Promise<boolean> => {
        try {
          // a copier needs where its copies landed (offset translation)
          if (outgoing.count) positions = await produce(this.d.producer, outgoing, provenance || copier !== undefined || table !== undefined, this.eventTimeRefused);
          // the changelog holds the batch's changes now: the store may have them too
          table?.commit(positions);
        } catch (e) {
          table?.discard();
          fail(e);
          // the batches after this one wait for it and drop themselves; fetch again from here
          // (partitions given up since start again from their committed offset, before this batch)
          if (generation === this.generation) {
            try {
              consumer.seek({ topic: batch.topic, partition: batch.partition, offset: input.firstOffset });
            } catch {
              /* not running any more: it restarts from the committed offset */
            }
          }
          await sleep(500);
          return false;
        } finally {
          if (this.inflight.get(key) === task) this.inflight.delete(key);
        }
        // acknowledged: the next batch of this partition may produce now; the commit follows
        // in the background, coalesced with the other partitions' (one commit request in flight).
        // Observers hear of the batch now: its outputs are in Kafka, and a commit lost to a crash
        // is at-least-once redelivery, which they already see. Waiting for the commit (up to
        // COMMIT_INTERVAL_MS) kept every batch's records alive long enough to be promoted out of
        // V8's young generation: a fifth of the engine's time went to the garbage collector.
        // A copier waits: its offset translation must not get ahead of the commit.
        if (copier) committer.add(next, done);
        else {
          done();
          committer.add(next, NOTHING);
        }
        return true;
      })();
      this.inflight.set(key, task);
      // written by its task (or, if that fails, sought back to): the next fetch starts after it
      ctx.resolveOffset(batch.lastOffset());
      return;
    }

    try {
      if (this.stopped || this.d.stopping() || ctx.isStale() || generation !== this.generation) {
        table?.discard();
        return;
      }
      await ctx.heartbeat();
      try {
        await inTransaction(tx.producer, async (t) => {
          if (outgoing.count) positions = await produce(t, outgoing, provenance || table !== undefined, this.eventTimeRefused);
          await t.sendOffsets(this.d.stage.groupId, [next]);
        });
        table?.commit(positions);
      } catch (e) {
        this.producers.drop(batch.topic, batch.partition); // maybe fenced: start over with a fresh one
        throw e;
      }
    } catch (e) {
      table?.discard();
      const error = fail(e);
      await sleep(500);
      throw error; // kafkajs re-fetches from the committed offset
    }
    if (generation === this.generation) ctx.resolveOffset(batch.lastOffset());
    done();
  }

  async stop(): Promise<void> {
    this.stopped = true; // batches not producing yet are dropped: the partitions' next owner reads them
    this.running = undefined;
    const c = this.consumer;
    if (c) {
      // kafkajs stops fetching, waits for the batch handlers, and leaves the group only after
      // partitionsRevoked finished the in-flight produces and committed their offsets
      await c.stop().catch(() => {});
      // a consumer that was not in its group (never joined, crashed) was not drained by the hook
      await Promise.allSettled([...this.inflight.values()]);
      this.committer?.stop();
      await this.committer?.settled();
      await c.disconnect().catch(() => {});
    }
    await this.producers.closeAll();
  }
}
