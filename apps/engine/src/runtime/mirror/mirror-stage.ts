import type { KafkaConnection } from "@millrace/flow";
import { mirrorRules, type MirrorRules } from "@millrace/processors/runtime";
import { authorizationFailure, isTopicAuthorizationError, kafkaConnectionFailure, type Headers, type InMessage, type KafkaClient, type KafkaProducer, type OutMessage, type Sender, type SentRecord } from "../../kafka/index.js";
import { errorMessage } from "../../log.js";
import type { ExecutionPlan, PlannedNode, PlannedStage } from "../../planner/index.js";
import { principalOf, writeRefusal } from "../cluster-sender.js";
import { CoalescingSender } from "../coalescing-sender.js";
import { ConsumerStageRunner } from "../consumer-stage.js";
import type { InputSlice, Observers } from "../observer.js";
import { Outgoing, PartitionChooser, type ProducedPositions } from "../producing.js";
import type { BatchCopier, StageRunner } from "../stage-runner.js";
import { StageExecutor } from "../stage.js";
import { CheckpointWriter } from "./checkpoints.js";
import { OffsetIndex } from "./offset-index.js";
import { TopicSync, type MirroredTopic } from "./topic-sync.js";

/** How often this engine's lag per copied topic is measured for the canvas. */
const LAG_INTERVAL_MS = 3_000;
/** A failing refresh or checkpoint round is logged at most this often. */
const WARN_EVERY_MS = 60_000;

/** A cluster a mirror reads or writes: its client, and the connection it came from (undefined: the engine's own). */
export interface MirrorCluster {
  client: KafkaClient;
  connection?: KafkaConnection;
}

export interface MirrorDeps {
  flowId: string;
  deploymentId: string;
  plan: ExecutionPlan;
  stage: PlannedStage;
  node: PlannedNode;
  from: MirrorCluster;
  to: MirrorCluster;
  observers: Observers;
  log(level: "info" | "warn" | "error", msg: string, err?: unknown): void;
  stopping(): boolean;
}

/**
 * A kafka-mirror node: copies the topics its config selects from one cluster to another as
 * bytes. A consumer stage (group `stage.groupId` on the source cluster, so several engines share
 * the partitions and a restart continues from the committed offsets) copies each fetched batch
 * to the same partition of the copy and commits after the target acknowledged it. Around it:
 * the topic sync (new matching topics restart the consumer with the longer list), offset
 * translation and checkpoints, and the lag per topic for the canvas.
 */
export class MirrorStageRunner implements StageRunner, BatchCopier {
  private readonly rules: MirrorRules;
  private readonly sync: TopicSync;
  private readonly index = new OffsetIndex();
  private readonly targets = new Map<string, string>();
  private producer: KafkaProducer | undefined;
  private sender: Sender | undefined;
  private copying: ConsumerStageRunner | undefined;
  private checkpoints: CheckpointWriter | undefined;
  private assignment: Record<string, number[]> = {};
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private refreshing = false;
  private measuring = false;
  private readonly warnedAt = new Map<string, number>();

  constructor(private readonly d: MirrorDeps) {
    this.rules = mirrorRules(d.node.config as never);
    this.sync = new TopicSync(d.from.client, d.to.client, this.rules, (topic, refusal) =>
      this.warn("warn", `node ${d.node.id}: the configs of topic "${topic}" could not be read on the source (${refusal}: no DESCRIBE_CONFIGS ACL); its copy gets the target cluster's defaults for retention and compaction`, undefined, `configs ${topic}`),
    );
  }

  get stage(): PlannedStage {
    return this.d.stage;
  }
  /** a mirror is not a flow source: nothing downstream pushes back on it */
  get paused(): boolean {
    return false;
  }
  setPaused(): void {}

  async start(): Promise<void> {
    const { to, node } = this.d;
    const producer = to.client.producer({});
    this.producer = producer;
    await producer.connect().catch((e: unknown) => {
      throw new Error(`node "${node.id}": cannot write to the target cluster: ${to.connection ? kafkaConnectionFailure(to.connection, e) : errorMessage(e)}`, { cause: e });
    });
    this.sender = new RefusalNamingSender(new CoalescingSender(producer), to.connection?.name, principalOf(to.connection));
    const config = node.config as { checkpointIntervalSeconds?: number; refreshTopicsSeconds?: number; syncGroupOffsets?: boolean };
    this.checkpoints = new CheckpointWriter({
      from: this.d.from.client,
      to: to.client,
      sender: this.sender,
      rules: this.rules,
      index: this.index,
      ownGroup: this.d.stage.groupId,
      syncGroupOffsets: config.syncGroupOffsets === true,
      log: (level, msg) => this.warn(level, msg),
    });
    // a cluster that refuses (no ACL yet) is told on the node and tried again at each refresh
    await this.checkpoints.prepare().catch((e: unknown) => this.refused(this.explain(e, `creating the checkpoint topic ${this.rules.checkpointTopic}`)));
    await this.sync.sync().catch((e: unknown) => this.refused(this.explain(e, "finding and creating the topics to copy")));
    await this.startCopying();
    this.every((config.refreshTopicsSeconds ?? 10) * 1000, () => this.refresh());
    this.every(LAG_INTERVAL_MS, () => this.measureLag());
    this.every((config.checkpointIntervalSeconds ?? 10) * 1000, () => this.checkpoints!.write(this.sync.topics(), this.assignment).then(() => this.forget("checkpoints")));
  }

  private every(ms: number, run: () => Promise<void>): void {
    const t = setInterval(() => {
      if (!this.stopped) void run().catch((e: unknown) => this.warn("warn", `node ${this.d.node.id}: ${errorMessage(e)}`, e));
    }, ms);
    t.unref();
    this.timers.push(t);
  }

  /** New matching topics (or partitions) since the last look: their copies are made, and the consumer restarts with them. */
  private async refresh(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      if (!(await this.sync.sync()) || this.stopped) return;
      const previous = this.copying;
      this.copying = undefined;
      await previous?.stop();
      if (!this.stopped) await this.startCopying();
      this.d.log("info", `node ${this.d.node.id}: copying ${this.sync.topics().length} topic(s) now: ${this.describeTopics()}`);
      this.forget("refresh");
    } catch (e) {
      const reason = this.explain(e, "looking for new topics to copy");
      if (authorizationFailure(e)) this.refused(reason);
      this.warn("warn", `node ${this.d.node.id}: ${reason}; the topics found before are still copied, tried again shortly`, e, "refresh");
    } finally {
      this.refreshing = false;
    }
  }

  private describeTopics(): string {
    return this.sync
      .topics()
      .map((t) => `${t.source} → ${t.target}`)
      .join(", ");
  }

  private async startCopying(): Promise<void> {
    const topics = this.sync.topics();
    this.targets.clear();
    for (const t of topics) this.targets.set(t.source, t.target);
    if (!topics.length) {
      this.d.log("info", `node ${this.d.node.id}: no topic matches ${JSON.stringify((this.d.node.config as { topics?: unknown }).topics)} yet; looked for again every ${(this.d.node.config as { refreshTopicsSeconds?: number }).refreshTopicsSeconds ?? 10} s`);
      return;
    }
    const stage: PlannedStage = { ...this.d.stage, inputs: topics.map((t) => t.source), fromBeginning: true };
    const log = this.d.log;
    const runner = new ConsumerStageRunner({
      kafka: this.d.from.client,
      flowId: this.d.flowId,
      deploymentId: this.d.deploymentId,
      stage,
      // never run: a copier stage has no processors
      executor: new StageExecutor(this.d.plan, stage, new Map()),
      observers: this.d.observers,
      exactlyOnce: false,
      provenance: false,
      producer: this.sender!,
      deadLetterTopic: this.d.plan.deadLetterTopic,
      log,
      stopping: () => this.stopped || this.d.stopping(),
      partitions: new PartitionChooser(new Map(), new Set(), false),
      copier: this,
    });
    this.copying = runner;
    await runner.start();
  }

  outgoing(topic: string, partition: number, messages: readonly InMessage[]): { outgoing: Outgoing; bytes: number } {
    const target = this.targets.get(topic);
    if (target === undefined) throw new Error(`topic "${topic}" is not one this mirror copies`);
    const out = new Outgoing(undefined, partition);
    let bytes = 0;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      const size = (m.key?.length ?? 0) + (m.value?.length ?? 0);
      bytes += size;
      // headers as read: a name may repeat (an array), which the produce encoder writes back as repeated headers
      const copy: OutMessage = { key: m.key, value: m.value, headers: m.headers as Headers, partition, timestamp: m.timestamp };
      out.add(target, copy, { bytes: size });
    }
    return { outgoing: out, bytes };
  }

  copied(input: InputSlice, count: number, bytes: number, positions: ProducedPositions | undefined): void {
    const target = this.targets.get(input.topic);
    if (target === undefined) return;
    const first = positions?.get(target)?.offsets[0];
    if (first !== undefined && first >= 0) this.index.add(input.topic, input.partition, Number(input.firstOffset), Number(input.lastOffset), first, count);
    this.d.observers.onMirrored({ flowId: this.d.flowId, deploymentId: this.d.deploymentId, stageId: this.d.stage.id, nodeId: this.d.node.id, topic: input.topic, target, records: count, bytes });
  }

  assigned(assignment: Record<string, number[]>): void {
    // partitions given up are translated by their new owner
    for (const [topic, partitions] of Object.entries(this.assignment)) for (const p of partitions) if (!assignment[topic]?.includes(p)) this.index.forget(topic, p);
    this.assignment = assignment;
  }

  /** Per copied topic, over the partitions this engine copies: source end − committed position. */
  private async measureLag(): Promise<void> {
    if (this.measuring) return;
    this.measuring = true;
    try {
      const topics: Record<string, { target: string; lag: number; partitions: number }> = {};
      const mine = this.sync.topics().filter((t) => this.assignment[t.source]?.length);
      if (mine.length) {
        const lag = await this.d.from.client.groupLag(this.d.stage.groupId, mine.map((t) => t.source));
        for (const t of mine) topics[t.source] = { target: t.target, lag: 0, partitions: 0 };
        for (const p of lag.partitions) {
          if (!this.assignment[p.topic]?.includes(p.partition)) continue;
          const t = topics[p.topic]!;
          t.lag += p.lag;
          t.partitions++;
        }
      }
      this.d.observers.onReplicationLag({ flowId: this.d.flowId, deploymentId: this.d.deploymentId, stageId: this.d.stage.id, nodeId: this.d.node.id, topics });
    } finally {
      this.measuring = false;
    }
  }

  /** What a failed step needs to go on, for a person: an ACL refusal names the clusters' users and what they need. */
  private explain(e: unknown, doing: string): string {
    const refusal = authorizationFailure(e);
    if (!refusal) return `${doing} failed: ${errorMessage(e)}`;
    const { from, to } = this.d;
    const who = (c: MirrorCluster, side: string) => `${side} ${c.connection ? `connection "${c.connection.name}" (as ${principalOf(c.connection)})` : "the engine's cluster"}`;
    return `${doing} was refused (${refusal}): the mirror needs DESCRIBE and READ on the topics it copies (DESCRIBE_CONFIGS to copy their retention settings) and READ on group "${this.d.stage.groupId}" on ${who(from, "source")}, and CREATE, DESCRIBE and WRITE on the copies on ${who(to, "target")}`;
  }

  /** A refusal shows on the node as its last error. */
  private refused(reason: string): void {
    this.d.observers.onRefusedWrite({ flowId: this.d.flowId, deploymentId: this.d.deploymentId, stageId: this.d.stage.id, nodeId: this.d.node.id, records: 0, reason });
    this.warn("warn", `node ${this.d.node.id}: ${reason}`, undefined, "refused");
  }

  /** Logs a failure of a periodic round at most once a minute per kind (every round fails the same way while it lasts). */
  private warn(level: "info" | "warn" | "error", msg: string, err?: unknown, kind = msg): void {
    const now = Date.now();
    if (now - (this.warnedAt.get(kind) ?? -Infinity) < WARN_EVERY_MS) return;
    this.warnedAt.set(kind, now);
    this.d.log(level, msg, err);
  }

  private forget(kind: string): void {
    this.warnedAt.delete(kind);
  }

  topics(): MirroredTopic[] {
    return this.sync.topics();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.copying?.stop();
    await this.producer?.disconnect().catch(() => {});
  }
}

/** Names the topic, the connection and its user when the target refuses a write for want of an ACL (the batch is retried until one allows it). */
class RefusalNamingSender implements Sender {
  constructor(
    private readonly inner: Sender,
    private readonly connection: string | undefined,
    private readonly principal: string,
  ) {}

  send(topic: string, messages: OutMessage[]): Promise<SentRecord[]> {
    return this.sendBatch([{ topic, messages }]);
  }

  async sendBatch(batch: { topic: string; messages: OutMessage[] }[], bytes?: number): Promise<SentRecord[]> {
    try {
      return await this.inner.sendBatch(batch, bytes);
    } catch (e) {
      if (!isTopicAuthorizationError(e)) throw e;
      // the batch is retried until allowed; its error is the node's last error meanwhile
      throw new Error(`${writeRefusal(batch.map((p) => p.topic).join(", "), this.connection, this.principal)}; the copy waits and tries again until it is allowed`, { cause: e });
    }
  }
}
