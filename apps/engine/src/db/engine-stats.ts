import type { PrismaClient } from "@millrace/db";
import type { EventLoopFigures } from "../metrics/event-loop.js";
import type { EngineFigures } from "../runtime/stats.js";

/** What an engine publishes per deployment: its figures and how late its main thread ran (last second). */
export type PublishedFigures = EngineFigures & { eventLoop?: EventLoopFigures; diskLow?: boolean };
import { queryIn, sql } from "./sql.js";

/** One engine's last published counters for a deployment. */
export interface EngineStatsRow {
  engineId: string;
  stats: PublishedFigures;
  /** ms since the engine published them, by the database's clock (engines' clocks may disagree) */
  ageMs: number;
}

/** Each engine's counters per deployment (table engine_stats), published every second and summed by the stats service. */
export class EngineStatsRepository {
  constructor(private readonly db: PrismaClient) {}

  /**
   * One statement per deployment and second. Raw SQL because the row is stamped with the
   * database's now(): freshness is then judged by one clock, whichever engines write and read.
   */
  async publish(engineId: string, deploymentId: string, flowId: string, figures: PublishedFigures): Promise<void> {
    await queryIn(
      this.db,
      sql`INSERT INTO engine_stats (engine_id, deployment_id, flow_id, stats, updated_at) VALUES (${engineId}, ${deploymentId}, ${flowId}, ${JSON.stringify(figures)}::jsonb, now())
        ON CONFLICT (engine_id, deployment_id) DO UPDATE SET stats = EXCLUDED.stats, updated_at = now()`,
    );
  }

  async ofDeployment(deploymentId: string): Promise<EngineStatsRow[]> {
    return queryIn<EngineStatsRow>(
      this.db,
      sql`SELECT engine_id AS "engineId", stats, (EXTRACT(EPOCH FROM (now() - updated_at)) * 1000)::float8 AS "ageMs" FROM engine_stats WHERE deployment_id = ${deploymentId}`,
    );
  }

  /** A new deployment of a flow starts its counters at zero: the rows of its earlier deployments go. */
  async deleteOtherDeployments(flowId: string, keepDeploymentId: string): Promise<void> {
    await this.db.engineStats.deleteMany({ where: { flowId, deploymentId: { not: keepDeploymentId } } });
  }
}
