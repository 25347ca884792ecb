import { z } from "zod";
import { FlowIdSchema } from "@millrace/flow";
import { FlowAccess } from "../../access/index.js";
import { roleProcedure, router, type Context } from "../trpc.js";
import { pick } from "../../audit/index.js";

const flowId = FlowIdSchema;
const names = z.array(z.string().max(64)).max(200);

const access = (ctx: Context) => new FlowAccess(ctx.services.repositories.flowAccess);

/** flows.access.*: who may see a flow besides its owner and the admins. */
export const flowAccessRouter = router({
  /** {flowId, owner, restricted, users, groups, canChange}, for anyone who sees the flow. */
  get: roleProcedure("viewer")
    .input(z.object({ flowId }))
    .query(({ ctx, input }) => access(ctx).describe(ctx.principal, input.flowId)),

  /**
   * Restricts the flow to its owner, the admins and the listed users and groups (or lifts the
   * restriction). Only its owner or an admin; an editor may still edit a flow it does not own.
   */
  set: roleProcedure("editor")
    .meta({ audit: "flow.access.set", auditWhat: (i) => ({ detail: pick(i, "restricted", "users", "groups") }) })
    .input(z.object({ flowId, restricted: z.boolean(), users: names, groups: names }))
    .mutation(async ({ ctx, input }) => {
      await access(ctx).change(ctx.principal, input.flowId, input);
      return { ok: true as const };
    }),
});
