import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { DeployValidationError } from "../../deployments/manager.js";
import { publicPlan } from "../../planner/index.js";
import { domain, invalidFlow } from "../errors.js";
import { publicProcedure, router, type Context } from "../trpc.js";

const flowId = z.string().min(1).max(200);
const version = z.number().int().positive().optional();

function manager(ctx: Context) {
  const m = ctx.services.deployments;
  if (!m) throw new TRPCError({ code: "PRECONDITION_FAILED", message: "this engine runs no deployments (no Kafka configured)" });
  return m;
}

async function deployErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await domain(fn);
  } catch (e) {
    if (e instanceof DeployValidationError) throw invalidFlow(e.message, e.errors);
    throw e;
  }
}

export const deploymentsRouter = router({
  /** The execution plan of a version (latest by default), without deploying it. */
  plan: publicProcedure
    .input(z.object({ flowId, version, exactlyOnce: z.boolean().optional() }))
    .query(({ ctx, input }) =>
      deployErrors(async () => {
        const p = await manager(ctx).plan(input.flowId, input.version, input.exactlyOnce ?? false);
        return { flowId: p.flowId, version: p.version, plan: publicPlan(p.plan) };
      }),
    ),

  /**
   * Deploys (or redeploys) a version, latest by default; `exactlyOnce` and `provenance` (record
   * provenance for this deployment, default true) default to the current deployment's.
   */
  deploy: publicProcedure
    .input(z.object({ flowId, version, exactlyOnce: z.boolean().optional(), provenance: z.boolean().optional() }))
    .mutation(({ ctx, input }) => deployErrors(() => manager(ctx).deploy(input))),

  stop: publicProcedure.input(z.object({ flowId })).mutation(({ ctx, input }) => deployErrors(() => manager(ctx).stop(input.flowId))),

  status: publicProcedure.input(z.object({ flowId })).query(({ ctx, input }) => deployErrors(() => manager(ctx).status(input.flowId))),
});
