import { isOfferableSource, isSourceProcessor, type BatchProcessor, type NetworkPolicy, type OfferableSource, type ProcessorContext, type ProcessorImpl, type SourceProcessor } from "@millrace/processors";
import type { DiskState } from "../disk-guard/index.js";
import { kafkaConnectionFailure, type ConnectionKafkaClients, type KafkaClient, type KafkaProducer, type Sender } from "../kafka/index.js";
import type { ExecutionPlan, PlannedNode, PlannedStage } from "../planner/index.js";
import type { LeaseManager } from "../deployments/leases.js";
import { errorMessage, type Logger } from "../log.js";
import type { EdgeLagMonitor } from "./edge-lag.js";
import type { Observers } from "./observer.js";
import { ConsumerStageRunner } from "./consumer-stage.js";
import { outputPartitions, PartitionChooser } from "./producing.js";
import { SourceStageRunner, type CheckpointStore } from "./source-stage.js";
import type { RunnerDeps, StageRunner } from "./stage-runner.js";
import { CoalescingSender } from "./coalescing-sender.js";
import { principalStampFor, type PrincipalStamp } from "./principal-stamp.js";
import { StageExecutor } from "./stage.js";
import { ClusterSender, principalOf, type ClusterTopic } from "./cluster-sender.js";
import { MirrorStageRunner, type MirrorCluster } from "./mirror/mirror-stage.js";
import { StageTables } from "./table-state.js";
import type { TableSnapshotRepository } from "../db/index.js";
import { startFromStoredSnapshot } from "../tables/snapshot-start.js";
import { TableReplica } from "./table-replica.js";
import { flowFormats, type FlowFormats } from "../formats/flow-formats.js";
import { schemaCacheOf } from "../formats/codecs.js";
import { RegistryClient } from "../formats/registry-client.js";
import type { SchemaStore } from "../formats/schema-store.js";
import { FlowConnections, type ClusterOfConnection, type ConnectionOpener } from "./flow-connections.js";
import { filesDirFromEnv } from "../config.js";

/** A refused write to another cluster is logged at most this often per topic (each record carries the reason anyway). */
const REFUSAL_LOG_MS = 30_000;

export interface FlowRuntimeDeps {
  kafka: KafkaClient;
  leases: LeaseManager;
  checkpoints: CheckpointStore;
  /** the engine's one edge-lag monitor (stats and /metrics read the same measurements) */
  lag: EdgeLagMonitor;
  observers: Observers;
  implementations: Record<string, ProcessorImpl>;
  /** where connectors may connect (absent: anywhere) */
  network?: NetworkPolicy;
  /** bound to this deployment's flowId; stages and processors log through children of it */
  log: Logger;
  /** how often source stages check the queues downstream (ms, default 500) */
  backPressureIntervalMs?: number;
  /** the engine's disk guard: while it is low, the sources running here hold */
  disk?: DiskState;
  /** opens the connections nodes name (absent: a flow naming one cannot start) */
  connections?: ConnectionOpener;
  /** the engine's clients of connections' clusters, shared by its flows */
  connectionClients?: ConnectionKafkaClients;
  /** the engine's own schema registry (avro formats of nodes naming no schemaRegistry connection) */
  schemaRegistry?: SchemaStore;
  /** the data directory (MILLRACE_DATA): stateful nodes keep their tables under its `state/`; absent: a flow with one cannot start */
  stateDir?: string;
  /** the tables' snapshots: a partition whose store is empty here starts from the newest one (absent: from the changelog's start) */
  tableSnapshots?: Pick<TableSnapshotRepository, "latestInPostgres" | "rows">;
}

export interface DeploymentSpec {
  deploymentId: string;
  flowId: string;
  version: number;
  exactlyOnce: boolean;
  /** record provenance for this deployment (default true) */
  provenance?: boolean;
  /** the user who deployed it: the principal of the records its sources create (null: not kept) */
  deployedBy?: string | null;
  /** self-sufficient: every node's type, substituted config and ingress come from here */
  plan: ExecutionPlan;
}

export interface StageStatus {
  id: string;
  kind: PlannedStage["kind"];
  /** running on this engine */
  running: boolean;
  paused: boolean;
  /** why it is paused (disk wins when both hold it) */
  pausedFor?: "back-pressure" | "disk";
  /** poll-source: this engine holds its lease */
  owner?: boolean;
  done?: boolean;
}

/** Everything one deployed flow runs on this engine: consumer stages, and the source stages whose lease it holds. */
export class FlowRuntime {
  private producer: KafkaProducer | undefined;
  private sender: Sender | undefined;
  /** the connections the plan names, opened at start */
  private links: FlowConnections | undefined;
  /** producers on connections' clusters, by connection name */
  private readonly clusterProducers = new Map<string, KafkaProducer>();
  private readonly refusalLoggedAt = new Map<string, number>();
  private readonly runners = new Map<string, StageRunner>();
  private readonly releases: (() => Promise<void>)[] = [];
  private readonly abort = new AbortController();
  private readonly closers: (() => Promise<void> | void)[] = [];
  private bpTimer: NodeJS.Timeout | undefined;
  private partitions: PartitionChooser | undefined;
  /** decoders and encoders of the nodes reading or writing another format than JSON */
  private formats: FlowFormats = { decoders: new Map(), encoders: new Map() };
  private bpBusy = false;
  private stopped = false;
  /** per source stage, the edges over threshold at the last back-pressure change (a disk change reports them too) */
  private readonly overEdges = new Map<string, string[]>();
  private unfollowDisk: (() => void) | undefined;
  /** sources running here that the engine's HTTP server feeds, by the path their plan node declares */
  readonly ingressSources = new Map<string, OfferableSource>();
  /** copies of the tables this flow's joins look up, by join node */
  private readonly replicas = new Map<string, TableReplica>();
  /** the tables of this flow's stateful nodes running here, by node (interactive queries read them) */
  readonly tables = new Map<string, StageTables>();
  /** latest queue per durable edge as measured by this engine's back-pressure check */
  readonly queues = new Map<string, number>();

  private readonly nodes: ReadonlyMap<string, PlannedNode>;

  constructor(
    readonly spec: DeploymentSpec,
    private readonly deps: FlowRuntimeDeps,
  ) {
    this.nodes = new Map(spec.plan.nodes.map((n) => [n.id, n]));
  }

  /** The HTTP paths this deployment serves, whichever engine runs its sources. */
  ingressPaths(): string[] {
    return this.spec.plan.nodes.flatMap((n) => (n.ingress ? [n.ingress.path] : []));
  }

  private ctx(nodeId: string): ProcessorContext {
    const log = this.deps.log.child({ nodeId });
    return {
      flowId: this.spec.flowId,
      nodeId,
      signal: this.abort.signal,
      log: (level, msg) => log[level](msg),
      network: this.deps.network,
      filesDir: filesDirFromEnv(process.env, this.deps.stateDir),
      connection: this.links?.processorConnection(nodeId),
      ...(this.replicas.has(nodeId) ? { lookup: (key: string) => this.replicas.get(nodeId)!.get(key) } : {}),
    };
  }

  /** The copies of the tables this flow's joins look rows up in, caught up before any stage starts. */
  private async startReplicas(): Promise<void> {
    for (const node of this.spec.plan.nodes) {
      if (!node.lookup) continue;
      const log = this.deps.log.child({ nodeId: node.id });
      const replica = new TableReplica({ kafka: this.deps.kafka, topic: node.lookup.topic, changelog: node.lookup.changelog, log: (level, msg) => log[level](msg) });
      this.replicas.set(node.id, replica);
      this.closers.push(() => replica.stop());
      await replica.start();
    }
    await Promise.all([...this.replicas.values()].map((r) => r.ready));
  }

  private async create(nodeId: string): Promise<BatchProcessor | SourceProcessor> {
    const node = this.nodes.get(nodeId);
    if (!node) throw new Error(`node "${nodeId}" is not in the plan`);
    const impl = this.deps.implementations[node.type];
    if (!impl) throw new Error(`node "${nodeId}": no implementation of "${node.type}" in this engine`);
    const p = await impl.create(node.config, this.ctx(nodeId));
    // a source stopped for good drops what it keeps outside the engine (a replication slot)
    if (p.close) this.closers.push(isSourceProcessor(p) ? () => p.close!({ forGood: this.dropTables }) : () => p.close!());
    return p;
  }

  private runnerDeps(stage: PlannedStage, executor: StageExecutor): RunnerDeps {
    const log = this.deps.log.child({ stageId: stage.id });
    // a kafka-source naming a connection consumes (and commits) on that cluster; everything a stage writes goes through the flow's sender
    const cluster = stage.kind === "kafka-source" ? this.links?.clusterOf(stage.head) : undefined;
    return {
      kafka: cluster?.client ?? this.deps.kafka,
      flowId: this.spec.flowId,
      deploymentId: this.spec.deploymentId,
      stage,
      executor,
      observers: this.deps.observers,
      exactlyOnce: this.spec.exactlyOnce,
      provenance: this.spec.provenance !== false,
      producer: this.sender!,
      deadLetterTopic: this.spec.plan.deadLetterTopic,
      log: (level, msg, err) => (err === undefined ? log[level](msg) : log[level]({ err }, msg)),
      stopping: () => this.stopped,
      partitions: this.partitions!,
      ...(this.formats.decoders.has(stage.id) ? { decoder: this.formats.decoders.get(stage.id)! } : {}),
    };
  }

  private async executorFor(stage: PlannedStage, skipHead: boolean): Promise<{ executor: StageExecutor; head?: BatchProcessor | SourceProcessor }> {
    const processors = new Map<string, BatchProcessor>();
    let head: BatchProcessor | SourceProcessor | undefined;
    for (const id of stage.nodes) {
      const p = await this.create(id);
      if (id === stage.head) head = p;
      if (id === stage.head && skipHead) continue;
      if (isSourceProcessor(p)) throw new Error(`node "${id}" is a source inside a stage`);
      processors.set(id, p as BatchProcessor);
    }
    return { executor: new StageExecutor(this.spec.plan, stage, processors, this.principalStamp(stage), this.formats.encoders), head };
  }

  /** Who sent the records a stage takes into the flow: set for stages headed by a source (polled, or fed from Kafka). */
  private principalStamp(stage: PlannedStage): PrincipalStamp | undefined {
    if (stage.kind === "poll-source") return principalStampFor(this.spec.deployedBy, undefined);
    const head = this.nodes.get(stage.head);
    const rule = head ? this.deps.implementations[head.type]?.principalRule?.(head.config) : undefined;
    return rule ? principalStampFor(this.spec.deployedBy, rule) : undefined;
  }

  async start(): Promise<void> {
    const { plan } = this.spec;
    this.links = await FlowConnections.open(plan, this.deps.connections, this.deps.connectionClients);
    const registries = new Map<string, RegistryClient>();
    this.formats = await flowFormats(
      plan,
      (node) => {
        const c = this.links?.registryOf(node.id);
        if (!c) return this.deps.schemaRegistry;
        let client = registries.get(c.name);
        if (!client) registries.set(c.name, (client = new RegistryClient(c, this.deps.network)));
        return client;
      },
      schemaCacheOf,
    );
    this.producer = this.deps.kafka.producer({});
    await this.producer.connect();
    const own = new CoalescingSender(this.producer);
    const elsewhere = await this.topicsElsewhere();
    const written = plan.nodes.flatMap((n) => [...n.ports.flatMap((p) => [p.topic, ...[p.externalTopic, ...(p.routedTopics ?? [])].map((t) => (elsewhere.has(t ?? "") ? undefined : t)), p.deadLetter]), n.callContextTopic].filter((t): t is string => Boolean(t)));
    for (const topic of written) {
      const clash = elsewhere.get(topic);
      if (clash) throw new Error(`node "${clash.nodeId}" writes topic "${topic}" on the cluster of connection "${clash.connection}", and the flow writes a topic of that name on the engine's cluster too: rename one of them`);
    }
    this.sender = elsewhere.size ? new ClusterSender(own, elsewhere, (t, reason, records) => this.logRefusal(t, reason, records)) : own;
    const internal = new Set(plan.topics.filter((t) => t.role === "edge").map((t) => t.name));
    const changelogs = plan.topics.filter((t) => t.role === "changelog").map((t) => t.name);
    const counts = await outputPartitions(this.deps.kafka, [...written, ...changelogs]);
    for (const [topic, t] of elsewhere) {
      // a topic its user may not describe stays unknown (the client then picks partitions); its writes fail to the failure route
      const theirs = await outputPartitions(this.links.clusterOf(t.nodeId)!.client, [topic]).catch(() => new Map<string, number>());
      for (const [name, n] of theirs) counts.set(name, n);
    }
    await this.startReplicas();
    this.partitions = new PartitionChooser(counts, internal, this.spec.exactlyOnce, {
      keyed: new Set(plan.topics.filter((t) => t.keyed).map((t) => t.name)),
      slotted: new Set(changelogs),
      // the retention applied at deploy decides: a topic bounded by time is stamped when written (a
      // deployment planned before keyed topics lost their time bound keeps its bound, and so write time)
      writeTime: new Set(plan.topics.filter((t) => t.role === "dead-letter" || (t.role === "edge" && (t.retention ? t.retention.minutes > 0 : !t.keyed))).map((t) => t.name)),
    });
    for (const stage of plan.stages) {
      if (stage.idle) continue;
      if (stage.kind === "poll-source") {
        const lease = `${this.spec.flowId}/${stage.id}`;
        let runner: SourceStageRunner | undefined;
        let stageClosers: (() => Promise<void> | void)[] = [];
        const release = this.deps.leases.want(lease, {
          acquired: async () => {
            if (this.stopped) return;
            const before = this.closers.length;
            const { executor, head } = await this.executorFor(stage, true);
            stageClosers = this.closers.splice(before);
            if (!head || !isSourceProcessor(head)) throw new Error(`node "${stage.head}" is not a polled source`);
            const started = new SourceStageRunner(this.runnerDeps(stage, executor), head, this.deps.checkpoints);
            runner = started;
            // held before its first poll when space is already low
            started.setHeldForDisk(Boolean(this.deps.disk?.low));
            await started.start();
            if (runner !== started) return; // lost while starting: already stopped
            const path = this.nodes.get(stage.head)?.ingress?.path;
            if (path !== undefined && isOfferableSource(head)) this.ingressSources.set(path, head);
            // listed (status: owner) only once it serves its ingress path
            this.runners.set(stage.id, started);
            if (started.heldForDisk) {
              this.deps.log.info({ stageId: stage.id }, `source ${stage.head} held: disk space low (the disk guard resumes it once there is room)`);
              this.reportPause(started);
            }
            // a change while it started passed it by
            this.holdForDisk(started, Boolean(this.deps.disk?.low));
            this.deps.log.info({ stageId: stage.id }, `source ${stage.head} runs here`);
          },
          lost: async () => {
            const path = this.nodes.get(stage.head)?.ingress?.path;
            if (path !== undefined) this.ingressSources.delete(path);
            const r = runner;
            runner = undefined;
            this.runners.delete(stage.id);
            await r?.stop();
            for (const c of stageClosers) await Promise.resolve(c()).catch(() => {});
            stageClosers = [];
          },
        });
        this.releases.push(release);
      } else if (stage.kind === "mirror") {
        const node = this.nodes.get(stage.head)!;
        const log = this.deps.log.child({ stageId: stage.id });
        const runner = new MirrorStageRunner({
          flowId: this.spec.flowId,
          deploymentId: this.spec.deploymentId,
          plan,
          stage,
          node,
          from: this.mirrorCluster(node.id, "from"),
          to: this.mirrorCluster(node.id, "to"),
          observers: this.deps.observers,
          log: (level, msg, err) => (err === undefined ? log[level](msg) : log[level]({ err }, msg)),
          stopping: () => this.stopped,
        });
        this.runners.set(stage.id, runner);
        await runner.start();
      } else {
        const { executor } = await this.executorFor(stage, false);
        const tables = this.tablesFor(stage);
        const runner = new ConsumerStageRunner({ ...this.runnerDeps(stage, executor), ...(tables ? { tables } : {}) });
        this.runners.set(stage.id, runner);
        await runner.start();
      }
    }
    this.unfollowDisk = this.deps.disk?.onChange((low) => {
      for (const r of this.runners.values()) if (r instanceof SourceStageRunner) this.holdForDisk(r, low);
    });
    if (plan.backPressure.some((b) => b.edges.length)) {
      this.bpTimer = setInterval(
        () =>
          void this.checkBackPressure().catch((e) =>
            this.deps.log.error({ err: e }, `back-pressure check failed: ${errorMessage(e)}; sources keep their current paused/running state, checked again in ${(this.deps.backPressureIntervalMs ?? 500) / 1000} s`),
          ),
        this.deps.backPressureIntervalMs ?? 500,
      );
      this.bpTimer.unref();
    }
  }

  /** The tables of a stage's stateful node (its head, or the node reading a kafka-source's topic directly), closed with the flow. */
  private tablesFor(stage: PlannedStage): StageTables | undefined {
    const node = stage.nodes.map((id) => this.nodes.get(id)).find((n) => n?.state !== undefined);
    if (!node) return undefined;
    const state = node.state!;
    const nodeId = node.id;
    if (!this.deps.stateDir) throw new Error(`node "${nodeId}" keeps a table, and this engine has no data directory for tables`);
    const log = this.deps.log.child({ stageId: stage.id });
    const tables = new StageTables({
      kafka: this.deps.kafka,
      flowId: this.spec.flowId,
      nodeId,
      changelogTopic: state.changelogTopic,
      partitions: state.partitions,
      dataDir: this.deps.stateDir,
      log: (level, msg) => log[level](msg),
      progress: (partition, done, total) => this.deps.observers.onRestore({ flowId: this.spec.flowId, deploymentId: this.spec.deploymentId, stageId: stage.id, nodeId, partition, done, total }),
      ...(this.deps.tableSnapshots
        ? { startFromSnapshot: startFromStoredSnapshot({ snapshots: this.deps.tableSnapshots, kafka: this.deps.kafka, flowId: this.spec.flowId, nodeId, changelogTopic: state.changelogTopic }, (msg) => log.info(`node ${nodeId}: ${msg}`)) }
        : {}),
    });
    this.tables.set(nodeId, tables);
    this.closers.push(() => tables.close(this.dropTables));
    return tables;
  }

  /** The cluster a mirror's `from` or `to` names (the engine's own when it names none). */
  private mirrorCluster(nodeId: string, field: "from" | "to"): MirrorCluster {
    const c = this.links?.clusterOf(nodeId, field);
    return c ? { client: c.client, connection: c.connection } : { client: this.deps.kafka };
  }

  /** The external topics the flow writes on connections' clusters, each with its own sender there (one producer per cluster). */
  private async topicsElsewhere(): Promise<Map<string, ClusterTopic>> {
    const out = new Map<string, ClusterTopic>();
    for (const node of this.spec.plan.nodes) {
      const cluster = this.links?.clusterOf(node.id);
      if (!cluster || node.kind === "source") continue;
      const producer = await this.clusterProducer(cluster);
      const failure = node.ports.find((p) => p.port === "failure");
      for (const port of node.ports) {
        if (!port.externalTopic) continue;
        const { connection } = cluster;
        for (const topic of [port.externalTopic, ...(port.routedTopics ?? [])]) {
          out.set(topic, {
            sender: new CoalescingSender(producer),
            connection: connection.name,
            principal: principalOf(connection),
            nodeId: node.id,
            failureTopic: failure?.topic ?? failure?.deadLetter ?? this.spec.plan.deadLetterTopic,
          });
        }
      }
    }
    return out;
  }

  private async clusterProducer({ connection, client }: ClusterOfConnection): Promise<KafkaProducer> {
    let producer = this.clusterProducers.get(connection.name);
    if (producer) return producer;
    producer = client.producer({});
    this.clusterProducers.set(connection.name, producer);
    await producer.connect().catch((e: unknown) => {
      throw new Error(`cannot write to the cluster of ${kafkaConnectionFailure(connection, e)}`, { cause: e });
    });
    return producer;
  }

  private logRefusal(topic: ClusterTopic, reason: string, records: number): void {
    // counted as the node's errors, so the canvas shows them (its outputs were counted when emitted)
    const stageId = this.spec.plan.stages.find((s) => s.nodes.includes(topic.nodeId))?.id ?? topic.nodeId;
    this.deps.observers.onRefusedWrite({ flowId: this.spec.flowId, deploymentId: this.spec.deploymentId, stageId, nodeId: topic.nodeId, records, reason });
    const now = Date.now();
    const key = `${topic.connection}/${topic.nodeId}`;
    if (now - (this.refusalLoggedAt.get(key) ?? -Infinity) < REFUSAL_LOG_MS) return;
    this.refusalLoggedAt.set(key, now);
    this.deps.log.warn(
      { nodeId: topic.nodeId, connection: topic.connection, failureTopic: topic.failureTopic },
      `node ${topic.nodeId}: ${records} record(s) sent to ${topic.failureTopic} instead: ${reason}; the flow goes on (said again at most every ${REFUSAL_LOG_MS / 1000} s while it lasts)`,
    );
  }

  /** Pauses the source stages running here whose downstream durable edges hold more than their threshold. */
  async checkBackPressure(): Promise<void> {
    if (this.bpBusy || this.stopped) return;
    this.bpBusy = true;
    try {
      const { plan } = this.spec;
      const local = plan.backPressure.filter((b) => this.runners.has(b.stage) && b.edges.length);
      if (!local.length) return;
      const edgeIds = new Set(local.flatMap((b) => b.edges));
      const edges = plan.edges.filter((e) => edgeIds.has(e.id));
      // measured now; an edge Kafka gave no answer for keeps its last value
      for (const [id, queue] of await this.deps.lag.queues(edges, 0)) this.queues.set(id, queue);
      for (const b of local) {
        const runner = this.runners.get(b.stage);
        if (!runner) continue;
        const over = b.edges.filter((id) => {
          const e = plan.edges.find((x) => x.id === id)!;
          return (this.queues.get(id) ?? 0) > (e.queueThreshold ?? Infinity);
        });
        const paused = over.length > 0;
        if (paused !== runner.paused) {
          try {
            runner.setPaused(paused);
          } catch (e) {
            this.deps.log.warn({ err: e, stageId: b.stage }, `source ${b.stage}: could not ${paused ? "pause" : "resume"} (${errorMessage(e)}); tried again at the next back-pressure check`);
            continue;
          }
          this.deps.log.info({ stageId: b.stage, edges: over }, `source ${b.stage} ${paused ? `paused: queue over threshold on ${over.join(", ")}` : "resumed from back pressure"}`);
          this.overEdges.set(b.stage, over);
          this.reportPause(runner);
        }
      }
    } finally {
      this.bpBusy = false;
    }
  }

  /** Holds or releases a source for low disk space, apart from its back pressure. */
  private holdForDisk(runner: SourceStageRunner, held: boolean): void {
    if (runner.heldForDisk === held) return;
    runner.setHeldForDisk(held);
    const id = runner.stage.id;
    this.deps.log.info({ stageId: id }, held ? `source ${id} paused: disk space low (the disk guard resumes it once there is room)` : `source ${id} no longer held for disk space`);
    this.reportPause(runner);
  }

  private reportPause(runner: StageRunner): void {
    const disk = runner instanceof SourceStageRunner && runner.heldForDisk;
    const stageId = runner.stage.id;
    this.deps.observers.onPause({ flowId: this.spec.flowId, deploymentId: this.spec.deploymentId, stageId, paused: runner.paused || disk, edges: runner.paused ? (this.overEdges.get(stageId) ?? []) : [], disk });
  }

  status(): StageStatus[] {
    return this.spec.plan.stages.map((s) => {
      const r = this.runners.get(s.id);
      const disk = r instanceof SourceStageRunner && r.heldForDisk;
      const st: StageStatus = { id: s.id, kind: s.kind, running: Boolean(r), paused: Boolean(r?.paused) || disk };
      if (st.paused) st.pausedFor = disk ? "disk" : "back-pressure";
      if (s.kind === "poll-source") {
        st.owner = Boolean(r);
        if (r instanceof SourceStageRunner) st.done = r.done;
      }
      return st;
    });
  }

  /** set by stop({ dropTables }): the flow stopped for good on this engine, its local tables go */
  private dropTables = false;

  /** `dropTables`: the deployment no longer runs (not a restart): the tables' local stores are deleted (their changelogs stay). */
  async stop(opts: { dropTables?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.dropTables = opts.dropTables === true;
    if (this.bpTimer) clearInterval(this.bpTimer);
    this.unfollowDisk?.();
    this.abort.abort();
    for (const release of this.releases) await release().catch(() => {});
    await Promise.all([...this.runners.values()].map((r) => r.stop().catch(() => {})));
    this.runners.clear();
    for (const c of this.closers) await Promise.resolve(c()).catch(() => {});
    await this.producer?.disconnect().catch(() => {});
    await Promise.all([...this.clusterProducers.values()].map((p) => p.disconnect().catch(() => {})));
    await this.links?.close();
  }
}
