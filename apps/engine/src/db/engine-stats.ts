import type { PrismaClient } from "@millrace/db";
import type { EngineFigures } from "../runtime/stats.js";

/** One engine's last published counters for a deployment. */
export interface EngineStatsRow {
  engineId: string;
  stats: EngineFigures;
  updatedAt: Date;
}

/** Each engine's counters per deployment (table engine_stats), published every second and summed by the stats service. */
export class EngineStatsRepository {
  constructor(private readonly db: PrismaClient) {}

  /** One statement (INSERT … ON CONFLICT DO UPDATE) per deployment and second. */
  async publish(engineId: string, deploymentId: string, flowId: string, figures: EngineFigures): Promise<void> {
    const stats = figures as unknown as object;
    const updatedAt = new Date();
    await this.db.engineStats.upsert({
      where: { engineId_deploymentId: { engineId, deploymentId } },
      create: { engineId, deploymentId, flowId, stats, updatedAt },
      update: { stats, updatedAt },
      select: { engineId: true },
    });
  }

  async ofDeployment(deploymentId: string): Promise<EngineStatsRow[]> {
    const rows = await this.db.engineStats.findMany({ where: { deploymentId }, select: { engineId: true, stats: true, updatedAt: true } });
    return rows as unknown as EngineStatsRow[];
  }

  /** A new deployment of a flow starts its counters at zero: the rows of its earlier deployments go. */
  async deleteOtherDeployments(flowId: string, keepDeploymentId: string): Promise<void> {
    await this.db.engineStats.deleteMany({ where: { flowId, deploymentId: { not: keepDeploymentId } } });
  }
}
