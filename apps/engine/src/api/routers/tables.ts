import { z } from "zod";
import { FlowIdSchema } from "@millrace/flow";
import { pick } from "../../audit/index.js";
import type { TableSnapshotRecord } from "../../db/index.js";
import { DomainError } from "../../errors.js";
import type { ExecutionPlan } from "../../planner/index.js";
import { MAX_SCAN, tableGet, tableScan, type TableSource } from "../../tables/queries.js";
import type { TableSnapshots } from "../../tables/snapshots.js";
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

function snapshotsOf(ctx: Context): TableSnapshots {
  const s = ctx.services.tableSnapshots;
  if (!s) throw new DomainError("UNAVAILABLE", "this engine takes no table snapshots: it has no Kafka or no data directory (MILLRACE_DATA) configured");
  return s;
}

/** A snapshot as the API answers it (JSON has no dates). */
function snapshotView(s: TableSnapshotRecord) {
  return { ...s, takenAt: s.takenAt.toISOString() };
}

/** Interactive queries of a stateful node's table (`millrace table get|scan`, the designer's table view), and its snapshots. */
export const tablesRouter = router({
  /** The row of one key (`value` null: no such row), from the engine holding its partition or read through its changelog. */
  get: roleProcedure("viewer")
    .input(z.object({ flowId: FlowIdSchema, nodeId, key: z.string().max(10_000) }))
    .query(async ({ ctx, input }) => tableGet(await sourceOf(ctx, input.flowId, input.nodeId), input.nodeId, input.key)),

  /** Rows in key order, those starting with `prefix`, at most `limit` (≤ 1,000). */
  scan: roleProcedure("viewer")
    .input(z.object({ flowId: FlowIdSchema, nodeId, prefix: z.string().max(10_000).optional(), limit: z.number().int().min(1).max(MAX_SCAN).optional() }))
    .query(async ({ ctx, input }) => tableScan(await sourceOf(ctx, input.flowId, input.nodeId), input.nodeId, input)),

  /**
   * Takes a snapshot of the table now: to Postgres, or to a JSON-lines `file` (a path within the
   * engine's snapshot directory). Answers when it is written, with where each partition was read from.
   */
  snapshot: roleProcedure("operator")
    .meta({ audit: "table.snapshot", auditWhat: (i, o) => ({ detail: { ...pick(i, "nodeId", "file"), ...pick((o as { snapshot?: object } | undefined)?.snapshot, "id", "rowCount", "bytes") } }) })
    .input(z.object({ flowId: FlowIdSchema, nodeId, file: z.string().min(1).max(1_000).optional() }))
    .mutation(async ({ ctx, input }) => {
      const outcome = await snapshotsOf(ctx).take({ flowId: input.flowId, nodeId: input.nodeId, takenBy: ctx.principal.name, ...(input.file !== undefined ? { file: input.file } : {}) });
      // only a scheduled take skips; an asked one is taken or fails
      if (!outcome) throw new DomainError("CONFLICT", `a snapshot of ${input.flowId}/${input.nodeId} was just taken`);
      return { ...outcome, snapshot: snapshotView(outcome.snapshot) };
    }),

  /** The node's snapshots, newest first (only the newest few are kept). */
  snapshots: roleProcedure("viewer")
    .input(z.object({ flowId: FlowIdSchema, nodeId, limit: z.number().int().min(1).max(100).optional() }))
    .query(async ({ ctx, input }) => (await snapshotsOf(ctx).list(input.flowId, input.nodeId, input.limit)).map(snapshotView)),
});
