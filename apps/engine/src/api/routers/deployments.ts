import { z } from "zod";
import { FlowIdSchema } from "@millrace/flow";
import { DomainError } from "../../errors.js";
import { publicPlan } from "../../planner/index.js";
import { roleProcedure, router, type Context } from "../trpc.js";
import { pick } from "../../audit/index.js";

const flowId = FlowIdSchema;
const version = z.number().int().positive().optional();

function manager(ctx: Context) {
  const m = ctx.services.deployments;
  if (!m) throw new DomainError("UNAVAILABLE", "this engine runs no deployments (no Kafka configured)");
  return m;
}

export const deploymentsRouter = router({
  /** The execution plan of a version (latest by default), without deploying it. */
  plan: roleProcedure("viewer")
    .input(z.object({ flowId, version, exactlyOnce: z.boolean().optional() }))
    .query(async ({ ctx, input }) => {
      const p = await manager(ctx).plan(input.flowId, input.version, input.exactlyOnce ?? false);
      return { flowId: p.flowId, version: p.version, plan: publicPlan(p.plan) };
    }),

  /**
   * Deploys (or redeploys) a version, latest by default; `exactlyOnce` and `provenance` (record
   * provenance for this deployment, default true) default to the current deployment's.
   */
  deploy: roleProcedure("operator")
    .meta({ audit: "flow.deploy", auditWhat: (i, o) => ({ detail: { ...pick(i, "version", "exactlyOnce", "provenance"), ...pick(o, "deploymentId", "status") } }) })
    .input(z.object({ flowId, version, exactlyOnce: z.boolean().optional(), provenance: z.boolean().optional() }))
    .mutation(({ ctx, input }) => manager(ctx).deploy({ ...input, deployedBy: ctx.principal.name })),

  stop: roleProcedure("operator").meta({ audit: "flow.stop" }).input(z.object({ flowId })).mutation(({ ctx, input }) => manager(ctx).stop(input.flowId)),

  status: roleProcedure("viewer").input(z.object({ flowId })).query(({ ctx, input }) => manager(ctx).status(input.flowId)),
});
