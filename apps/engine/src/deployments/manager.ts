import { randomUUID } from "node:crypto";
import { formatPath, validateForDeploy, type CatalogLike } from "@millrace/flow";
import type { NetworkPolicy, ProcessorImpl } from "@millrace/processors";
import type { DeploymentRecord, Repositories } from "../db/index.js";
import { invalidFlow } from "../errors.js";
import type { ConnectionKafkaClients, KafkaClient } from "../kafka/index.js";
import type { ConnectionOpener } from "../runtime/flow-connections.js";
import { errorMessage, logger, type Logger } from "../log.js";
import { planFlow, PlanError, planSecretValues, publicPlan, repartitionedTables, stateInputTopics, withInputPartitions, type ExecutionPlan, type PlannedNode, type PlanOptions, type PublicPlan } from "../planner/index.js";
import { FlowRuntime, type StageStatus } from "../runtime/flow-runtime.js";
import type { EdgeLagMonitor } from "../runtime/edge-lag.js";
import type { Observers } from "../runtime/observer.js";
import type { StatsRecorder } from "../runtime/stats.js";
import type { LeaseManager } from "./leases.js";
import { OutageLog } from "../outage-log.js";
import { DEFAULT_TOPIC_RETENTION, type TopicRetentionSettings } from "../config.js";
import { retentionConfigs } from "./topic-retention.js";
import { CHANGELOG_TOPIC_CONFIGS } from "../state/changelog.js";
import type { DiskState } from "../disk-guard/index.js";
import type { SchemaStore } from "../formats/schema-store.js";
import { incompatibleSchemas } from "../formats/flow-formats.js";
import { RegistryClient } from "../formats/registry-client.js";
import { connectionReferences, crossClusterTransactions, failingConnections, unknownConnections, type ConnectionDirectory, type ConnectionReference } from "./connection-check.js";

export interface DeploymentManagerDeps {
  repositories: Pick<Repositories, "flows" | "deployments" | "checkpoints" | "engineStats"> & Partial<Pick<Repositories, "tableSnapshots">>;
  /** the engine's one edge-lag monitor (back pressure reads it) */
  lag: EdgeLagMonitor;
  catalog: CatalogLike;
  kafka: KafkaClient;
  leases: LeaseManager;
  observers: Observers;
  stats: StatsRecorder;
  implementations: Record<string, ProcessorImpl>;
  /** where connectors may connect (absent: anywhere), handed to every processor */
  network?: NetworkPolicy;
  engineId: string;
  /** this engine's logger (engineId bound): the manager and the flow runtimes log through children of it */
  log?: Logger;
  /** how often every engine compares the deployment table with what it runs (ms, default 1000) */
  reconcileIntervalMs?: number;
  /** what the flows' own topics keep (default DEFAULT_TOPIC_RETENTION) */
  retention?: TopicRetentionSettings;
  /** the engine's disk guard: the sources of every flow running here hold while it is low */
  disk?: DiskState;
  /** the named connections flows may use (absent: a flow naming one cannot be deployed) */
  connections?: ConnectionDirectory & ConnectionOpener;
  /** this engine's clients of connections' Kafka clusters */
  connectionClients?: ConnectionKafkaClients;
  /** the engine's own schema registry (avro formats naming no schemaRegistry connection) */
  schemaRegistry?: SchemaStore;
  /** where stateful nodes keep their tables */
  stateDir?: string;
}

export interface DeploymentStatus {
  flowId: string;
  deployed: boolean;
  deploymentId: string | null;
  version: number | null;
  /** running | stopped | failed | not-deployed */
  status: string;
  exactlyOnce: boolean;
  /** provenance is recorded for this deployment (deployments.deploy({ provenance })) */
  provenance: boolean;
  /** the user who deployed it (null: not deployed, or deployed before this was kept) */
  deployedBy: string | null;
  error: string | null;
  updatedAt: Date | null;
  /** without node configs (they may hold secrets) */
  plan: PublicPlan | null;
  /** this engine's share of the work */
  local: { engineId: string; running: boolean; stages: StageStatus[]; error?: string };
}

/**
 * Deploy / stop / redeploy, persisted in the `deployment` table. Every engine runs a reconcile
 * loop that makes what it runs match that table, so a deploy made on one engine reaches all of
 * them, and an engine that (re)starts resumes every deployed flow from its committed offsets.
 */
export class DeploymentManager {
  private readonly runtimes = new Map<string, FlowRuntime>();
  private readonly startErrors = new Map<string, { at: number; error: string }>();
  private timer: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> | undefined;
  /** the timer's failed reconciles (Postgres unreachable): logged when they start and end */
  private readonly reconcileOutage: OutageLog;
  private again = false;
  private closed = false;
  private readonly engineLog: Logger;
  private readonly log: Logger;

  constructor(private readonly d: DeploymentManagerDeps) {
    this.engineLog = d.log ?? logger.child({ engineId: d.engineId });
    this.log = this.engineLog.child({ module: "deployments" });
    this.reconcileOutage = new OutageLog(this.log, "reconciling the deployed flows with this engine");
  }

  start(): void {
    const reconcileNow = () => void this.reconcile().then(() => this.reconcileOutage.worked(), (e) => this.reconcileFailed(e));
    this.timer = setInterval(reconcileNow, this.d.reconcileIntervalMs ?? 1000);
    this.timer.unref();
    reconcileNow();
  }

  private reconcileFailed(e: unknown): void {
    const every = (this.d.reconcileIntervalMs ?? 1000) / 1000;
    this.reconcileOutage.failed(e, `reconciling the deployed flows with this engine failed: ${errorMessage(e)}; flows already running keep running, retried every ${every} s (check that Postgres is reachable at DATABASE_URL)`);
  }

  /** Validates and plans a stored version (the latest by default) without deploying it. The plan holds secrets: clients get publicPlan(plan). */
  async plan(
    flowId: string,
    version?: number,
    exactlyOnce = false,
    shape: Pick<PlanOptions, "directEdges" | "previous" | "drained"> = {},
  ): Promise<{ flowId: string; version: number; versionId: string; plan: ExecutionPlan; connections: ConnectionReference[] }> {
    // the one place a stored version's secrets are opened: the plan substitutes them
    const stored = await this.d.repositories.flows.getOpened(flowId, version);
    const checked = validateForDeploy(stored.document, this.d.catalog);
    if (!checked.ok) throw invalidFlow(`flow ${flowId} v${stored.version.version} cannot be deployed`, checked.errors);
    const connections = connectionReferences(checked.document, this.d.catalog);
    const refused = [...(await unknownConnections(connections, this.d.connections)), ...(exactlyOnce ? crossClusterTransactions(connections) : [])];
    if (refused.length) throw invalidFlow(`flow ${flowId} v${stored.version.version} cannot be deployed`, refused);
    let plan: ExecutionPlan;
    try {
      plan = planFlow(checked.document, this.d.catalog, { ...shape, exactlyOnce, retention: this.d.retention ?? DEFAULT_TOPIC_RETENTION });
    } catch (e) {
      if (e instanceof PlanError) throw invalidFlow(e.message, [{ path: "", message: e.message }]);
      throw e;
    }
    return { flowId, version: stored.version.version, versionId: stored.version.id, plan, connections };
  }

  /**
   * Creates the plan's topics: internal ones grow to the planned partitions; external ones are only
   * created when missing. On three or more brokers a created topic has 3 replicas and needs 2 in
   * sync to accept a write, so an acknowledged record survives losing any one broker (whatever the
   * brokers' defaults, which are 1 replica unless configured); on fewer, the brokers' defaults.
   * Internal topics get the retention the plan names, and those that exist already (a redeploy)
   * are brought to it.
   */
  private async ensureTopics(plan: ExecutionPlan): Promise<void> {
    const brokers = (await this.d.kafka.describeCluster()).brokers.length;
    const replication = brokers >= 3 ? { replicationFactor: 3, configs: { "min.insync.replicas": "2" } } : {};
    const internal = plan.topics.filter((t) => t.role === "edge" || t.role === "dead-letter" || t.role === "replay");
    const bounds = internal.map((t) => ({ topic: t.name, configs: t.retention ? retentionConfigs(t.retention, t.partitions) : {} }));
    const created = new Set(
      await this.d.kafka.ensureTopics(internal.map((t, i) => ({ topic: t.name, partitions: t.partitions, ...replication, configs: { ...replication.configs, ...bounds[i]!.configs } }))),
    );
    const rebound = await this.d.kafka.alterTopicConfigs(bounds.filter((b) => !created.has(b.topic) && Object.keys(b.configs).length > 0));
    if (rebound.length) this.log.info({ flowId: plan.flowId, topics: rebound }, `retention of ${rebound.length} existing topic(s) of flow ${plan.flowId} brought to the plan's: ${rebound.join(", ")}`);
    const changelogs = plan.topics.filter((t) => t.role === "changelog");
    if (changelogs.length) {
      const made = new Set(await this.d.kafka.ensureTopics(changelogs.map((t) => ({ topic: t.name, partitions: t.partitions, ...replication, configs: { ...replication.configs, ...CHANGELOG_TOPIC_CONFIGS } }))));
      // changelogs made before tombstones had a set lifetime get it: starting from a snapshot relies on it
      await this.d.kafka.alterTopicConfigs(changelogs.filter((t) => !made.has(t.name)).map((t) => ({ topic: t.name, configs: CHANGELOG_TOPIC_CONFIGS })));
    }
    // a connection's cluster is the connection user's: its topics are used as they are, never created
    const external = plan.topics.filter((t) => (t.role === "external-in" || t.role === "external-out") && t.connection === undefined);
    if (external.length) {
      const existing = new Set(await this.d.kafka.listTopics());
      const missing = external.filter((t) => !existing.has(t.name));
      if (missing.length) await this.d.kafka.ensureTopics(missing.map((t) => ({ topic: t.name, partitions: t.partitions, ...replication })));
    }
  }

  /**
   * Deploys a version (latest by default). A redeploy keeps topics, consumer groups and source
   * checkpoints of what still exists. `deployedBy` (the caller) becomes the principal of the
   * records the flow's sources create.
   */
  async deploy(input: { flowId: string; version?: number; exactlyOnce?: boolean; provenance?: boolean; deployedBy?: string }): Promise<DeploymentStatus> {
    const previous = await this.row(input.flowId);
    const exactlyOnce = input.exactlyOnce ?? previous?.exactlyOnce ?? false;
    const provenance = input.provenance ?? previous?.provenance ?? true;
    const before = previous?.plan as ExecutionPlan | null | undefined;
    const p = await this.plan(input.flowId, input.version, exactlyOnce, before ? { previous: before, drained: await this.drained(before) } : {});
    // a connection that does not answer now would only fail the stages later, on every engine
    const failing = p.connections.length && this.d.connections ? await failingConnections(p.connections, this.d.connections) : [];
    if (failing.length) throw invalidFlow(`flow ${input.flowId} v${p.version} cannot be deployed`, failing);
    // a sink schema its subject's compatibility rule refuses would only fail every engine's start
    const incompatible = await incompatibleSchemas(p.plan, (nodeId, field) => formatPath(["nodes", p.plan.nodes.findIndex((n) => n.id === nodeId), "config", field]), (node) => this.schemaStoreOf(node));
    if (incompatible.length) throw invalidFlow(`flow ${input.flowId} v${p.version} cannot be deployed: a sink's schema is incompatible with its subject`, incompatible);
    p.plan = await this.partitionedLikeInputs(p.plan);
    await this.ensureTopics(p.plan);
    const id = randomUUID();
    await this.d.repositories.deployments.putRunning({ id, flowId: input.flowId, versionId: p.versionId, version: p.version, exactlyOnce, provenance, deployedBy: input.deployedBy ?? null, plan: p.plan });
    await this.d.repositories.engineStats.deleteOtherDeployments(input.flowId, id);
    await this.reconcile();
    return this.status(input.flowId);
  }

  /** The plan with the tables that read an external topic directly partitioned like it (a missing topic is created with the planned count). */
  private async partitionedLikeInputs(plan: ExecutionPlan): Promise<ExecutionPlan> {
    const changelogs = plan.nodes.flatMap((n) => (n.state ? [n.state.changelogTopic] : []));
    if (!changelogs.length) return plan;
    const existing = new Set(await this.d.kafka.listTopics());
    const inputs = stateInputTopics(plan).filter((t) => existing.has(t));
    if (inputs.length) plan = withInputPartitions(plan, await this.d.kafka.partitionCounts(inputs));
    // a table keeps its rows in the partitions it was built in (Kafka Streams refuses such a change too)
    const built = changelogs.filter((t) => existing.has(t));
    const changed = built.length ? repartitionedTables(plan, await this.d.kafka.partitionCounts(built)) : [];
    if (changed.length) {
      throw invalidFlow(
        `flow ${plan.flowId} cannot be deployed: a table would be read in other partitions than it was built in`,
        changed.map((c) => ({
          path: formatPath(["nodes", plan.nodes.findIndex((n) => n.id === c.nodeId)]),
          message: `node "${c.nodeId}" keeps its table in ${c.has} partitions (topic "${c.changelogTopic}") and would now read ${c.wants}${c.inputTopic === undefined ? "" : ` (topic "${c.inputTopic}" has ${c.wants})`}: a key's row would be looked for in another partition. Keep the input's partitions as they were, or delete the changelog topic to build the table again from the input`,
        })),
      );
    }
    return plan;
  }

  /** The registry a node's avro format uses: its schemaRegistry connection, or the engine's own. */
  private async schemaStoreOf(node: PlannedNode): Promise<SchemaStore | undefined> {
    const name = node.connections?.schemaRegistry;
    if (name === undefined) return this.d.schemaRegistry;
    const c = await this.d.connections?.open(name);
    return c?.type === "schema-registry" ? new RegistryClient(c, this.d.network) : undefined;
  }

  /** The edge topics `plan`'s drain stages have read to the end (asked of Kafka; one it cannot answer for is kept). */
  private async drained(plan: ExecutionPlan): Promise<Set<string>> {
    const done = new Set<string>();
    await Promise.all(
      plan.stages
        .filter((s) => s.drain)
        .map(async (s) => {
          const lag = await this.d.kafka.groupLag(s.groupId, s.inputs).catch(() => undefined);
          if (lag?.total === 0) done.add(s.inputs[0]!);
        }),
    );
    return done;
  }

  async stop(flowId: string): Promise<DeploymentStatus> {
    await this.d.repositories.deployments.stop(flowId);
    await this.reconcile();
    return this.status(flowId);
  }

  /** The plans of the flows running on this engine. */
  runningPlans(): ExecutionPlan[] {
    return [...this.runtimes.values()].map((rt) => rt.spec.plan);
  }

  private row(flowId: string): Promise<DeploymentRecord | undefined> {
    return this.d.repositories.deployments.ofFlow(flowId);
  }

  async status(flowId: string): Promise<DeploymentStatus> {
    const r = await this.row(flowId);
    const rt = this.runtimes.get(flowId);
    const local: DeploymentStatus["local"] = { engineId: this.d.engineId, running: Boolean(rt), stages: rt?.status() ?? [] };
    const err = r ? this.startErrors.get(r.id) : undefined;
    if (err) local.error = err.error;
    if (!r) return { flowId, deployed: false, deploymentId: null, version: null, status: "not-deployed", exactlyOnce: false, provenance: false, deployedBy: null, error: null, updatedAt: null, plan: null, local };
    return {
      flowId,
      deployed: r.status === "running",
      deploymentId: r.id,
      version: r.version,
      status: r.status,
      exactlyOnce: r.exactlyOnce,
      provenance: r.provenance,
      deployedBy: r.deployedBy,
      error: r.error,
      updatedAt: r.updatedAt,
      plan: r.plan ? publicPlan(r.plan) : null,
      local,
    };
  }

  /** The source fed by HTTP requests on `path` that runs on this engine, if it holds one. */
  ingressSource(path: string) {
    for (const rt of this.runtimes.values()) {
      const s = rt.ingressSources.get(path);
      if (s) return s;
    }
    return undefined;
  }

  /** Whether a deployment running here (maybe without the source's lease) serves `path`. */
  servesIngressPath(path: string): boolean {
    for (const rt of this.runtimes.values()) if (rt.ingressPaths().includes(path)) return true;
    return false;
  }

  /** The deployment this engine runs for a flow, if any. */
  runtime(flowId: string): FlowRuntime | undefined {
    return this.runtimes.get(flowId);
  }

  /** Makes what this engine runs match the deployment table. Concurrent calls coalesce. */
  reconcile(): Promise<void> {
    if (this.reconciling) {
      this.again = true;
      return this.reconciling;
    }
    this.reconciling = (async () => {
      try {
        do {
          this.again = false;
          await this.reconcileOnce();
        } while (this.again && !this.closed);
      } finally {
        this.reconciling = undefined;
      }
    })();
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<void> {
    if (this.closed) return;
    const rows = await this.d.repositories.deployments.running();
    const wanted = new Map(rows.map((r) => [r.flowId, r]));
    for (const [flowId, rt] of [...this.runtimes]) {
      const w = wanted.get(flowId);
      if (w && w.id === rt.spec.deploymentId) continue;
      this.runtimes.delete(flowId);
      // stopped for good (not replaced by a redeploy): its tables' local stores go, bounded disk
      await rt.stop({ dropTables: !w });
      this.log.info({ flowId, version: rt.spec.version }, `flow ${flowId} v${rt.spec.version} stopped on this engine`);
    }
    for (const r of rows) {
      if (this.closed) return;
      if (this.runtimes.has(r.flowId)) continue;
      const failedAt = this.startErrors.get(r.id);
      if (failedAt && Date.now() - failedAt.at < 5000) continue;
      await this.startRuntime(r);
    }
    for (const id of [...this.startErrors.keys()]) if (!rows.some((r) => r.id === id)) this.startErrors.delete(id);
  }

  private async startRuntime(r: DeploymentRecord): Promise<void> {
    let rt: FlowRuntime | undefined;
    let secrets: string[] = [];
    try {
      const stored = r.plan as ExecutionPlan;
      // plans stored before nodes carried their configs are planned again from their version, in the shape they were stored in (before direct edges)
      const plan = stored.nodes.every((n) => "config" in n) ? this.d.repositories.deployments.openPlan(stored) : (await this.plan(r.flowId, r.version, r.exactlyOnce, { directEdges: false })).plan;
      secrets = planSecretValues(plan);
      this.d.stats.track(r.id, r.flowId, plan);
      rt = new FlowRuntime(
        { deploymentId: r.id, flowId: r.flowId, version: r.version, exactlyOnce: r.exactlyOnce, provenance: r.provenance, deployedBy: r.deployedBy, plan },
        {
          kafka: this.d.kafka,
          leases: this.d.leases,
          lag: this.d.lag,
          checkpoints: this.d.repositories.checkpoints,
          observers: this.d.observers,
          implementations: this.d.implementations,
          network: this.d.network,
          disk: this.d.disk,
          connections: this.d.connections,
          connectionClients: this.d.connectionClients,
          schemaRegistry: this.d.schemaRegistry,
          ...(this.d.stateDir ? { stateDir: this.d.stateDir } : {}),
          ...(this.d.repositories.tableSnapshots ? { tableSnapshots: this.d.repositories.tableSnapshots } : {}),
          log: this.engineLog.child({ module: "runtime", flowId: r.flowId, deploymentId: r.id, version: r.version }),
        },
      );
      this.runtimes.set(r.flowId, rt);
      await rt.start();
      this.startErrors.delete(r.id);
      this.log.info({ flowId: r.flowId, version: r.version, deploymentId: r.id }, `flow ${r.flowId} v${r.version} running on this engine${r.exactlyOnce ? " (exactly-once)" : ""}`);
    } catch (e) {
      // the error is logged and stored on the deployment: a message that quotes a config value must not carry a secret
      scrubError(e, secrets);
      const error = e instanceof Error ? e.message : scrub(String(e), secrets);
      const deterministic = (e as { name?: string } | null)?.name === "ConfigError";
      this.log.error(
        { err: e, flowId: r.flowId, version: r.version, deploymentId: r.id },
        deterministic
          ? `flow ${r.flowId} v${r.version} cannot start: ${error}; its deployment is marked failed with this error (fix the flow's configuration and deploy it again)`
          : `flow ${r.flowId} v${r.version} failed to start on this engine: ${error}; retrying in 5 s (the error is shown on the deployment until it starts)`,
      );
      this.startErrors.set(r.id, { at: Date.now(), error });
      if (rt) {
        this.runtimes.delete(r.flowId);
        await rt.stop().catch(() => {});
      }
      await this.d.repositories.deployments.recordStartError(r.id, error, deterministic ? "failed" : r.status).catch(() => {});
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.reconciling?.catch(() => {});
    await Promise.all([...this.runtimes.values()].map((rt) => rt.stop().catch(() => {})));
    this.runtimes.clear();
  }
}

function scrub(text: string, secrets: readonly string[]): string {
  return secrets.reduce((t, s) => (s.length >= 4 ? t.split(s).join("***") : t), text);
}

function scrubError(e: unknown, secrets: readonly string[]): void {
  if (!secrets.length || !(e instanceof Error)) return;
  e.message = scrub(e.message, secrets);
  if (e.stack) e.stack = scrub(e.stack, secrets);
}
