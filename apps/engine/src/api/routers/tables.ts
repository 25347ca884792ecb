import { z } from "zod";
import { FlowIdSchema } from "@millrace/flow";
import { DomainError } from "../../errors.js";
import type { ExecutionPlan } from "../../planner/index.js";
import { MAX_SCAN, tableGet, tableScan, type TableSource } from "../../tables/queries.js";
import { roleProcedure, router, type Context } from "../trpc.js";

const nodeId = z.string().min(1).max(200);

/** The deployed plan of the flow and this engine's tables of it (when it runs the flow). */
async function sourceOf(ctx: Context, flowId: string, node: string): Promise<TableSource> {
  const kafka = ctx.services.kafka;
  if (!kafka) throw new DomainError("UNAVAILABLE", "tables live in Kafka changelogs, and this engine has no Kafka configured");
  const row = await ctx.services.repositories.deployments.ofFlow(flowId);
  if (!row?.plan) throw new DomainError("UNAVAILABLE", `flow ${flowId} has never been deployed: it has no table yet`);
  const runtime = ctx.services.deployments?.runtime(flowId);
  return { plan: row.plan as ExecutionPlan, tables: runtime?.spec.deploymentId === row.id ? runtime.tables.get(node) : undefined, kafka };
}

/** Interactive queries of a stateful node's table (`millrace table get|scan`, the designer's table view). */
export const tablesRouter = router({
  /** The row of one key (`value` null: no such row), from the engine holding its partition or read through its changelog. */
  get: roleProcedure("viewer")
    .input(z.object({ flowId: FlowIdSchema, nodeId, key: z.string().max(10_000) }))
    .query(async ({ ctx, input }) => tableGet(await sourceOf(ctx, input.flowId, input.nodeId), input.nodeId, input.key)),

  /** Rows in key order, those starting with `prefix`, at most `limit` (≤ 1,000). */
  scan: roleProcedure("viewer")
    .input(z.object({ flowId: FlowIdSchema, nodeId, prefix: z.string().max(10_000).optional(), limit: z.number().int().min(1).max(MAX_SCAN).optional() }))
    .query(async ({ ctx, input }) => tableScan(await sourceOf(ctx, input.flowId, input.nodeId), input.nodeId, input)),
});
