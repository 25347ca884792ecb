import { z } from "zod";
import { ROLES } from "../../auth/index.js";
import { roleProcedure, router } from "../trpc.js";
import { field, pick } from "../../audit/index.js";

export const tokensRouter = router({
  /** A new API token with at most the caller's role; the token is in this answer only. */
  create: roleProcedure("viewer")
    .meta({ audit: "token.create", auditWhat: (i, o) => ({ target: field(o, "id"), detail: { ...pick(i, "role"), name: field(o, "name") ?? field(i, "name") } }) })
    .input(z.object({ role: z.enum(ROLES), name: z.string().max(100).optional() }))
    .mutation(({ ctx, input }) => ctx.services.identity.tokens.create(ctx.principal, input.role, input.name ?? "token")),

  /** The caller's own tokens; an admin sees everyone's. */
  list: roleProcedure("viewer").query(({ ctx }) => ctx.services.identity.tokens.list(ctx.principal)),

  /** Revokes one of the caller's tokens (an admin: anyone's). */
  revoke: roleProcedure("viewer")
    .meta({ audit: "token.revoke" })
    .input(z.object({ id: z.string().min(1).max(100) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.services.identity.tokens.revoke(ctx.principal, input.id);
      return { ok: true as const };
    }),
});
