import type { BatchProcessor, MRecord, SourceProcessor } from "@millrace/processors";
import type { BatchContext, KafkaClient, KafkaConsumer, KafkaProducer, OutMessage, TopicPartitionOffset } from "../kafka/index.js";
import type { PlannedStage } from "../planner/index.js";
import type { Observers } from "./observer.js";
import { decode, messageBytes } from "./records.js";
import type { StageExecutor, StageOutput } from "./stage.js";

export interface RunnerDeps {
  kafka: KafkaClient;
  flowId: string;
  deploymentId: string;
  stage: PlannedStage;
  executor: StageExecutor;
  observers: Observers;
  exactlyOnce: boolean;
  /** shared non-transactional producer of the flow (at-least-once) */
  producer: KafkaProducer;
  /** the flow's dead-letter topic (poll-source exactly-once checkpoints are committed against its partition 0) */
  deadLetterTopic: string;
  log(level: "info" | "warn" | "error", msg: string): void;
}

export interface StageRunner {
  readonly stage: PlannedStage;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** back pressure (sources only) */
  setPaused(paused: boolean): void;
  readonly paused: boolean;
}

function toBatches(produce: Map<string, OutMessage[]>): { topic: string; messages: OutMessage[] }[] {
  const list: { topic: string; messages: OutMessage[] }[] = [];
  for (const [topic, messages] of produce) list.push({ topic, messages });
  return list;
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
  private readonly txProducers = new Map<string, Promise<KafkaProducer>>();
  private stopped = false;
  private _paused = false;

  constructor(private readonly d: RunnerDeps) {}

  get stage(): PlannedStage {
    return this.d.stage;
  }
  get paused(): boolean {
    return this._paused;
  }

  async start(): Promise<void> {
    const { kafka, stage } = this.d;
    const consumer = kafka.consumer({ groupId: stage.groupId, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 1_000, rebalanceTimeout: 20_000 });
    this.consumer = consumer;
    consumer.onCrash((error, restart) => {
      this.d.log(restart ? "warn" : "error", `stage ${stage.id}: consumer crashed (${restart ? "restarting" : "not restarting"}): ${error.message}`);
      this.d.observers.onBatchError({ flowId: this.d.flowId, deploymentId: this.d.deploymentId, stageId: stage.id, input: null, error });
    });
    if (this.d.exactlyOnce) {
      // Initialise the transactional producers of the partitions we got at once: that fences a
      // dead engine's producers and aborts their open transactions, which would otherwise hold
      // back read_committed readers downstream until the transaction timeout.
      consumer.onGroupJoin((assignment) => {
        for (const [topic, partitions] of Object.entries(assignment)) for (const p of partitions) void this.txProducer(topic, p).catch(() => {});
      });
    }
    await consumer.connect();
    await consumer.subscribe({ topics: stage.inputs, fromBeginning: stage.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: stage.concurrency,
      eachBatch: (ctx) => this.onBatch(ctx),
    });
    if (this._paused) consumer.pause(stage.inputs.map((topic) => ({ topic })));
  }

  setPaused(paused: boolean): void {
    if (paused === this._paused) return;
    this._paused = paused;
    const c = this.consumer;
    if (!c) return;
    const topics = this.d.stage.inputs.map((topic) => ({ topic }));
    if (paused) c.pause(topics);
    else c.resume(topics);
  }

  private txProducer(topic: string, partition: number): Promise<KafkaProducer> {
    const key = `${topic}.${partition}`;
    let p = this.txProducers.get(key);
    if (!p) {
      p = (async () => {
        const producer = this.d.kafka.producer({ transactionalId: `${this.d.stage.transactionalIdPrefix}.${key}` });
        await producer.connect();
        return producer;
      })();
      p.catch(() => this.txProducers.delete(key));
      this.txProducers.set(key, p);
    }
    return p;
  }

  private async onBatch(ctx: BatchContext): Promise<void> {
    const { batch } = ctx;
    const n = batch.messages.length;
    if (n === 0 || ctx.isStale() || !ctx.isRunning()) return;
    const startedAt = Date.now();
    const records: MRecord[] = new Array(n);
    const offsets: string[] = new Array(n);
    let bytesIn = 0;
    for (let i = 0; i < n; i++) {
      const m = batch.messages[i]!;
      records[i] = decode(m);
      offsets[i] = m.offset;
      bytesIn += messageBytes(m);
    }
    const input = { topic: batch.topic, partition: batch.partition, firstOffset: offsets[0]!, lastOffset: offsets[n - 1]! };
    let out: StageOutput;
    try {
      out = await this.d.executor.runConsumer(records, offsets, bytesIn);
      if (ctx.isStale()) return;
      await ctx.heartbeat();
      const next: TopicPartitionOffset = { topic: batch.topic, partition: batch.partition, offset: (BigInt(input.lastOffset) + 1n).toString() };
      if (this.d.exactlyOnce) {
        const producer = await this.txProducer(batch.topic, batch.partition);
        const tx = await producer.transaction();
        try {
          if (out.count) await tx.sendBatch(toBatches(out.produce));
          await tx.sendOffsets(this.d.stage.groupId, [next]);
          await tx.commit();
        } catch (e) {
          if (tx.isActive()) await tx.abort().catch(() => {});
          throw e;
        }
      } else {
        if (out.count) await this.d.producer.sendBatch(toBatches(out.produce));
        await this.consumer!.commitOffsets([next]);
      }
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      this.d.observers.onBatchError({ flowId: this.d.flowId, deploymentId: this.d.deploymentId, stageId: this.d.stage.id, input: { topic: batch.topic, partition: batch.partition }, error });
      if (!this.stopped) this.d.log("warn", `stage ${this.d.stage.id} ${batch.topic}[${batch.partition}]@${input.firstOffset}: batch failed, retrying: ${error.message}`);
      await sleep(500);
      throw error; // kafkajs re-fetches from the committed offset
    }
    this.d.observers.onBatch({
      flowId: this.d.flowId,
      deploymentId: this.d.deploymentId,
      stageId: this.d.stage.id,
      input,
      startedAt,
      durationMs: Date.now() - startedAt,
      transactional: this.d.exactlyOnce,
      nodes: out.nodes,
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const c = this.consumer;
    if (c) {
      await c.stop().catch(() => {});
      await c.disconnect().catch(() => {});
    }
    const producers = await Promise.allSettled([...this.txProducers.values()]);
    await Promise.all(producers.map((p) => (p.status === "fulfilled" ? p.value.disconnect().catch(() => {}) : undefined)));
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
      // Connecting a transactional producer fences the previous owner and aborts its open transaction.
      this.txProducer = this.d.kafka.producer({ transactionalId: `${stage.transactionalIdPrefix}.source` });
      await this.txProducer.connect();
      const lag = await this.d.kafka.groupLag(stage.groupId, [this.d.deadLetterTopic]);
      const committed = lag.partitions.find((p) => p.partition === 0)?.committed;
      if (committed !== null && committed !== undefined && committed >= 0) checkpoint = committed;
    }
    await this.source.open?.(checkpoint);
    this.loop = this.run(checkpoint);
  }

  private async run(initial: unknown): Promise<void> {
    let saved = initial;
    let produced = initial;
    try {
      await this.pollLoop(() => saved, (c) => (produced = c), async (c) => {
        await this.checkpoints.save(this.d.flowId, this.d.stage.head, c);
        saved = c;
      });
    } finally {
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
      if (this.stopped) return; // not produced, not checkpointed: polled again after a restart
      if (polled.records.length) {
        const startedAt = Date.now();
        let out: StageOutput | undefined;
        let ok = false;
        for (let attempt = 0; !this.stopped; attempt++) {
          try {
            out ??= await this.d.executor.runSource(polled.records);
            await this.produce(out, polled.checkpoint);
            ok = true;
            break;
          } catch (e) {
            this.d.observers.onBatchError({ flowId: this.d.flowId, deploymentId: this.d.deploymentId, stageId: this.d.stage.id, input: null, error: e instanceof Error ? e : new Error(String(e)) });
            this.d.log("warn", `source ${this.d.stage.head}: produce failed (attempt ${attempt + 1}), retrying: ${e instanceof Error ? e.message : e}`);
            await sleep(Math.min(5000, 200 * 2 ** attempt));
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

  private async produce(out: StageOutput, checkpoint: unknown): Promise<void> {
    if (this.txProducer) {
      const tx = await this.txProducer.transaction();
      try {
        if (out.count) await tx.sendBatch(toBatches(out.produce));
        if (typeof checkpoint === "number" && Number.isSafeInteger(checkpoint) && checkpoint >= 0) {
          await tx.sendOffsets(this.d.stage.groupId, [{ topic: this.d.deadLetterTopic, partition: 0, offset: String(checkpoint) }]);
        }
        await tx.commit();
      } catch (e) {
        if (tx.isActive()) await tx.abort().catch(() => {});
        throw e;
      }
    } else if (out.count) {
      await this.d.producer.sendBatch(toBatches(out.produce));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.loop?.catch(() => {});
    await this.txProducer?.disconnect().catch(() => {});
  }
}
