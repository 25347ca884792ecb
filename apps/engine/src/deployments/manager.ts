import { randomUUID } from "node:crypto";
import type { PrismaClient } from "@millrace/db";
import { substituteParameters, validateForDeploy, type CatalogLike, type FlowDocument, type FlowError } from "@millrace/flow";
import type { ProcessorImpl } from "@millrace/processors";
import type { FlowStore } from "../flows/flow-store.js";
import type { KafkaClient } from "../kafka/index.js";
import { errorMessage, logger, type Logger } from "../log.js";
import { planFlow, PlanError, type ExecutionPlan, type PlannerCatalog } from "../planner/index.js";
import { FlowRuntime, type StageStatus } from "../runtime/flow-runtime.js";
import type { Observers } from "../runtime/observer.js";
import type { StatsRecorder } from "../runtime/stats.js";
import { PgCheckpointStore } from "./checkpoints.js";
import type { LeaseManager } from "./leases.js";

export class DeployValidationError extends Error {
  constructor(
    message: string,
    readonly errors: FlowError[],
  ) {
    super(message);
  }
}

export interface DeploymentManagerDeps {
  db: PrismaClient;
  flows: FlowStore;
  catalog: CatalogLike;
  kafka: KafkaClient;
  leases: LeaseManager;
  observers: Observers;
  stats: StatsRecorder;
  implementations: Record<string, ProcessorImpl>;
  engineId: string;
  log?: Logger;
  /** how often every engine compares the deployment table with what it runs (ms, default 1000) */
  reconcileIntervalMs?: number;
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
  error: string | null;
  updatedAt: Date | null;
  plan: ExecutionPlan | null;
  /** this engine's share of the work */
  local: { engineId: string; running: boolean; stages: StageStatus[]; error?: string };
}

interface DeploymentRow {
  id: string;
  flow_id: string;
  version_id: string;
  version: number;
  status: string;
  exactly_once: boolean;
  provenance: boolean;
  plan: unknown;
  error: string | null;
  updated_at: Date;
}

/** The parameters substituted into every node's config: what the runtime and planner see. */
export function substitutedDocument(doc: FlowDocument): FlowDocument {
  if (!doc.parameters.length) return doc;
  return { ...doc, nodes: doc.nodes.map((n) => ({ ...n, config: substituteParameters(n.config, doc.parameters) })) };
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
  private again = false;
  private closed = false;
  private readonly checkpoints: PgCheckpointStore;
  private readonly log: Logger;

  constructor(private readonly d: DeploymentManagerDeps) {
    this.checkpoints = new PgCheckpointStore(d.db);
    this.log = d.log ?? logger.child({ module: "deployments", engineId: d.engineId });
  }

  start(): void {
    this.timer = setInterval(() => void this.reconcile().catch((e) => this.reconcileFailed(e)), this.d.reconcileIntervalMs ?? 1000);
    this.timer.unref();
    void this.reconcile().catch((e) => this.reconcileFailed(e));
  }

  private reconcileFailed(e: unknown): void {
    const every = (this.d.reconcileIntervalMs ?? 1000) / 1000;
    this.log.error({ err: e }, `reconciling the deployed flows with this engine failed: ${errorMessage(e)}; flows already running keep running, retried every ${every} s (check that Postgres is reachable at DATABASE_URL)`);
  }

  private plannerCatalog(): PlannerCatalog {
    return { get: (t) => this.d.catalog.get(t) as unknown as ReturnType<PlannerCatalog["get"]> };
  }

  /** Validates and plans a stored version (the latest by default) without deploying it. */
  async plan(flowId: string, version?: number, exactlyOnce = false): Promise<{ flowId: string; version: number; versionId: string; plan: ExecutionPlan; document: FlowDocument }> {
    const stored = await this.d.flows.get(flowId, version);
    const checked = validateForDeploy(stored.document, this.d.catalog);
    if (!checked.ok) throw new DeployValidationError(`flow ${flowId} v${stored.version.version} cannot be deployed`, checked.errors);
    const document = substitutedDocument(checked.document);
    let plan: ExecutionPlan;
    try {
      plan = planFlow(document, this.plannerCatalog(), { exactlyOnce });
    } catch (e) {
      if (e instanceof PlanError) throw new DeployValidationError(e.message, [{ path: "", message: e.message }]);
      throw e;
    }
    return { flowId, version: stored.version.version, versionId: stored.version.id, plan, document };
  }

  /** Creates the plan's topics: internal ones grow to the planned partitions; external ones are only created when missing. */
  private async ensureTopics(plan: ExecutionPlan): Promise<void> {
    const internal = plan.topics.filter((t) => t.role === "edge" || t.role === "dead-letter" || t.role === "replay");
    await this.d.kafka.ensureTopics(internal.map((t) => ({ topic: t.name, partitions: t.partitions })));
    const external = plan.topics.filter((t) => t.role === "external-in" || t.role === "external-out");
    if (external.length) {
      const existing = new Set(await this.d.kafka.listTopics());
      const missing = external.filter((t) => !existing.has(t.name));
      if (missing.length) await this.d.kafka.ensureTopics(missing.map((t) => ({ topic: t.name, partitions: t.partitions })));
    }
  }

  /** Deploys a version (latest by default). A redeploy keeps topics, consumer groups and source checkpoints of what still exists. */
  async deploy(input: { flowId: string; version?: number; exactlyOnce?: boolean; provenance?: boolean }): Promise<DeploymentStatus> {
    const previous = await this.row(input.flowId);
    const exactlyOnce = input.exactlyOnce ?? previous?.exactly_once ?? false;
    const provenance = input.provenance ?? previous?.provenance ?? true;
    const p = await this.plan(input.flowId, input.version, exactlyOnce);
    await this.ensureTopics(p.plan);
    const id = randomUUID();
    const planJson = JSON.stringify(p.plan);
    await this.d.db.$executeRaw`INSERT INTO deployment (id, flow_id, version_id, version, status, exactly_once, provenance, plan, error, created_at, updated_at)
      VALUES (${id}, ${input.flowId}, ${p.versionId}, ${p.version}, 'running', ${exactlyOnce}, ${provenance}, ${planJson}::jsonb, NULL, now(), now())
      ON CONFLICT (flow_id) DO UPDATE SET id = EXCLUDED.id, version_id = EXCLUDED.version_id, version = EXCLUDED.version, status = 'running',
        exactly_once = EXCLUDED.exactly_once, provenance = EXCLUDED.provenance, plan = EXCLUDED.plan, error = NULL, updated_at = now()`;
    await this.d.db.$executeRaw`DELETE FROM engine_stats WHERE flow_id = ${input.flowId} AND deployment_id <> ${id}`;
    await this.reconcile();
    return this.status(input.flowId);
  }

  async stop(flowId: string): Promise<DeploymentStatus> {
    await this.d.db.$executeRaw`UPDATE deployment SET status = 'stopped', updated_at = now() WHERE flow_id = ${flowId}`;
    await this.reconcile();
    return this.status(flowId);
  }

  private async row(flowId: string): Promise<DeploymentRow | undefined> {
    const rows = await this.d.db.$queryRaw<DeploymentRow[]>`SELECT id, flow_id, version_id, version, status, exactly_once, provenance, plan, error, updated_at FROM deployment WHERE flow_id = ${flowId}`;
    return rows[0];
  }

  async status(flowId: string): Promise<DeploymentStatus> {
    const r = await this.row(flowId);
    const rt = this.runtimes.get(flowId);
    const local: DeploymentStatus["local"] = { engineId: this.d.engineId, running: Boolean(rt), stages: rt?.status() ?? [] };
    const err = r ? this.startErrors.get(r.id) : undefined;
    if (err) local.error = err.error;
    if (!r) return { flowId, deployed: false, deploymentId: null, version: null, status: "not-deployed", exactlyOnce: false, provenance: false, error: null, updatedAt: null, plan: null, local };
    return {
      flowId,
      deployed: r.status === "running",
      deploymentId: r.id,
      version: r.version,
      status: r.status,
      exactlyOnce: r.exactly_once,
      provenance: r.provenance,
      error: r.error,
      updatedAt: r.updated_at,
      plan: r.plan as ExecutionPlan,
      local,
    };
  }

  /** The http-listen source serving `path` on this engine, if it holds one. */
  httpSource(path: string) {
    for (const rt of this.runtimes.values()) {
      const s = rt.httpSources.get(path);
      if (s) return s;
    }
    return undefined;
  }

  /** Whether a deployment running here (maybe as a non-owner) has an http-listen node on `path`. */
  isHttpPathDeployed(path: string): boolean {
    for (const rt of this.runtimes.values()) if (rt.spec.document.nodes.some((n) => n.type === "http-listen" && (n.config as { path?: unknown }).path === path)) return true;
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
    const rows = await this.d.db.$queryRaw<DeploymentRow[]>`SELECT id, flow_id, version_id, version, status, exactly_once, provenance, plan, error, updated_at FROM deployment WHERE status = 'running'`;
    const wanted = new Map(rows.map((r) => [r.flow_id, r]));
    for (const [flowId, rt] of [...this.runtimes]) {
      const w = wanted.get(flowId);
      if (w && w.id === rt.spec.deploymentId) continue;
      this.runtimes.delete(flowId);
      await rt.stop();
      this.log.info({ flowId, version: rt.spec.version }, `flow ${flowId} v${rt.spec.version} stopped on this engine`);
    }
    for (const r of rows) {
      if (this.closed) return;
      if (this.runtimes.has(r.flow_id)) continue;
      const failedAt = this.startErrors.get(r.id);
      if (failedAt && Date.now() - failedAt.at < 5000) continue;
      await this.startRuntime(r);
    }
    for (const id of [...this.startErrors.keys()]) if (!rows.some((r) => r.id === id)) this.startErrors.delete(id);
  }

  private async startRuntime(r: DeploymentRow): Promise<void> {
    let rt: FlowRuntime | undefined;
    try {
      const v = await this.d.db.flowVersion.findUnique({ where: { id: r.version_id } });
      if (!v) throw new Error(`flow version ${r.version_id} is gone`);
      const document = substitutedDocument(v.document as unknown as FlowDocument);
      const plan = r.plan as ExecutionPlan;
      this.d.stats.track(r.id, r.flow_id, plan);
      rt = new FlowRuntime(
        { deploymentId: r.id, flowId: r.flow_id, version: r.version, exactlyOnce: r.exactly_once, provenance: r.provenance, plan, document },
        {
          kafka: this.d.kafka,
          leases: this.d.leases,
          checkpoints: this.checkpoints,
          observers: this.d.observers,
          implementations: this.d.implementations,
          log: this.log.child({ module: "runtime", flowId: r.flow_id, deploymentId: r.id, version: r.version }),
        },
      );
      this.runtimes.set(r.flow_id, rt);
      await rt.start();
      this.startErrors.delete(r.id);
      this.log.info({ flowId: r.flow_id, version: r.version, deploymentId: r.id }, `flow ${r.flow_id} v${r.version} running on this engine${r.exactly_once ? " (exactly-once)" : ""}`);
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      const deterministic = (e as { name?: string } | null)?.name === "ConfigError";
      this.log.error(
        { err: e, flowId: r.flow_id, version: r.version, deploymentId: r.id },
        deterministic
          ? `flow ${r.flow_id} v${r.version} cannot start: ${error}; its deployment is marked failed with this error (fix the flow's configuration and deploy it again)`
          : `flow ${r.flow_id} v${r.version} failed to start on this engine: ${error}; retrying in 5 s (the error is shown on the deployment until it starts)`,
      );
      this.startErrors.set(r.id, { at: Date.now(), error });
      if (rt) {
        this.runtimes.delete(r.flow_id);
        await rt.stop().catch(() => {});
      }
      await this.d.db.$executeRaw`UPDATE deployment SET error = ${error}, status = ${deterministic ? "failed" : r.status}, updated_at = updated_at WHERE id = ${r.id}`.catch(() => {});
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
