import type { PrismaClient } from "@millrace/db";
import type { ExecutionPlan, PlannedNode } from "../planner/index.js";
import { mapSealed, type SecretBox } from "../secrets/index.js";

/** A flow's deployment (table deployment: at most one per flow; a redeploy replaces it under a new id). */
export interface DeploymentRecord {
  id: string;
  flowId: string;
  versionId: string;
  version: number;
  /** running | stopped | failed */
  status: string;
  exactlyOnce: boolean;
  provenance: boolean;
  /** the user who deployed it (null: deployed before this was kept) */
  deployedBy: string | null;
  /** as stored: the configs' secret values sealed (`openPlan` opens them to start a runtime) */
  plan: ExecutionPlan | null;
  error: string | null;
  updatedAt: Date;
}

const COLUMNS = { id: true, flowId: true, versionId: true, version: true, status: true, exactlyOnce: true, provenance: true, deployedBy: true, plan: true, error: true, updatedAt: true } as const;

/**
 * What every engine reconciles against: which version of which flow runs, with its plan. The
 * plan is stored with the values at each node's `secretPaths` sealed: the table never holds a
 * secret in plaintext.
 */
export class DeploymentRepository {
  constructor(
    private readonly db: PrismaClient,
    private readonly secrets: SecretBox,
  ) {}

  /** A stored plan with its secret values opened: what a runtime is started with, never stored or returned. */
  openPlan(plan: ExecutionPlan): ExecutionPlan {
    return { ...plan, nodes: plan.nodes.map((n) => ({ ...n, config: (mapSealed(n.config, (v) => this.secrets.open(v)) ?? n.config) as PlannedNode["config"] })) };
  }

  private sealPlan(plan: ExecutionPlan): ExecutionPlan {
    return { ...plan, nodes: plan.nodes.map((n) => (n.secretPaths.length ? { ...n, config: sealAt(n.config, n.secretPaths, (v) => this.secrets.seal(v)) } : n)) };
  }

  async ofFlow(flowId: string): Promise<DeploymentRecord | undefined> {
    const row = await this.db.deployment.findUnique({ where: { flowId }, select: COLUMNS });
    return (row ?? undefined) as DeploymentRecord | undefined;
  }

  async running(): Promise<DeploymentRecord[]> {
    return (await this.db.deployment.findMany({ where: { status: "running" }, select: COLUMNS })) as DeploymentRecord[];
  }

  async runningFlowIds(): Promise<string[]> {
    return (await this.db.deployment.findMany({ where: { status: "running" }, select: { flowId: true } })).map((r) => r.flowId);
  }

  /** Makes `d` the flow's running deployment (one INSERT … ON CONFLICT (flow_id) DO UPDATE: the row takes the new id). */
  async putRunning(d: { id: string; flowId: string; versionId: string; version: number; exactlyOnce: boolean; provenance: boolean; deployedBy: string | null; plan: ExecutionPlan }): Promise<void> {
    const now = new Date();
    const fields = { id: d.id, versionId: d.versionId, version: d.version, status: "running", exactlyOnce: d.exactlyOnce, provenance: d.provenance, deployedBy: d.deployedBy, plan: this.sealPlan(d.plan) as unknown as object, error: null, updatedAt: now };
    await this.db.deployment.upsert({ where: { flowId: d.flowId }, create: { ...fields, flowId: d.flowId, createdAt: now }, update: fields, select: { id: true } });
  }

  async stop(flowId: string): Promise<void> {
    await this.db.deployment.updateMany({ where: { flowId }, data: { status: "stopped", updatedAt: new Date() } });
  }

  /** Notes why a deployment failed to start here (updated_at stays: it says when it was deployed or stopped). */
  async recordStartError(id: string, error: string, status: string): Promise<void> {
    await this.db.deployment.updateMany({ where: { id }, data: { error, status } });
  }
}

/** A copy of `config` with the string at each path replaced by f(string); paths that lead nowhere are skipped. */
function sealAt(config: Record<string, unknown>, paths: readonly (string | number)[][], f: (value: string) => string): Record<string, unknown> {
  const copy = structuredClone(config);
  for (const path of paths) {
    if (path.length === 0) continue;
    let parent: unknown = copy;
    for (const seg of path.slice(0, -1)) parent = typeof parent === "object" && parent !== null ? (parent as Record<string | number, unknown>)[seg] : undefined;
    const last = path[path.length - 1]!;
    if (typeof parent !== "object" || parent === null || !Object.prototype.hasOwnProperty.call(parent, last)) continue;
    const holder = parent as Record<string | number, unknown>;
    const value = holder[last];
    if (typeof value === "string") holder[last] = f(value);
  }
  return copy;
}
