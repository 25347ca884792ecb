import type { ExecutionPlan, PlannedNode } from "../planner/index.js";

/** How observers find the plan of a deployment that runs on this engine (synchronously, on the hot path). */
export type PlanLookup = (flowId: string, deploymentId: string) => ExecutionPlan | undefined;

export interface PlanIndex {
  plan: ExecutionPlan;
  nodes: Map<string, PlannedNode>;
  /** edge topic → the node that writes it */
  topicWriter: Map<string, string>;
  /** node fed in its upstream node's stage (a fused or direct edge) → that upstream node */
  fusedFrom: Map<string, string>;
  /** node → port → ids of the edges leaving it */
  portEdges: Map<string, Map<string, string[]>>;
  /**
   * Topics whose every message is written by this deployment (an edge topic) or by the replay
   * API (a stage's replay topic), i.e. whose writer records where each record went: a reader of
   * them can be found by (topic, partition, offset) instead of by record id.
   */
  ownTopics: Map<string, "edge" | "replay">;
}

export function indexPlan(plan: ExecutionPlan): PlanIndex {
  const nodes = new Map(plan.nodes.map((n) => [n.id, n]));
  const topicWriter = new Map<string, string>();
  for (const t of plan.topics) if (t.from) topicWriter.set(t.name, t.from.node);
  const fusedFrom = new Map<string, string>();
  const portEdges = new Map<string, Map<string, string[]>>();
  for (const e of plan.edges) {
    if (e.mode === "fused" || e.direct !== undefined) fusedFrom.set(e.to, e.from.node);
    let ports = portEdges.get(e.from.node);
    if (!ports) portEdges.set(e.from.node, (ports = new Map()));
    let list = ports.get(e.from.port);
    if (!list) ports.set(e.from.port, (list = []));
    list.push(e.id);
  }
  const ownTopics = new Map<string, "edge" | "replay">();
  for (const t of plan.topics) if (t.role === "edge" || t.role === "replay") ownTopics.set(t.name, t.role);
  return { plan, nodes, topicWriter, fusedFrom, portEdges, ownTopics };
}

/** Caches one index per deployment id; forgets deployments no longer looked up for a while. */
export class PlanCache {
  private readonly cache = new Map<string, { index: PlanIndex; used: number }>();
  constructor(private readonly lookup: PlanLookup | undefined) {}

  get(flowId: string, deploymentId: string): PlanIndex | undefined {
    const hit = this.cache.get(deploymentId);
    if (hit) {
      hit.used = Date.now();
      return hit.index;
    }
    const plan = this.lookup?.(flowId, deploymentId);
    if (!plan) return undefined;
    const index = indexPlan(plan);
    const now = Date.now();
    this.cache.set(deploymentId, { index, used: now });
    if (this.cache.size > 64) for (const [k, v] of this.cache) if (now - v.used > 600_000) this.cache.delete(k);
    return index;
  }

  /** Seeds the cache (e.g. with a plan read from Postgres). */
  put(deploymentId: string, plan: ExecutionPlan): PlanIndex {
    const index = indexPlan(plan);
    this.cache.set(deploymentId, { index, used: Date.now() });
    return index;
  }
}
