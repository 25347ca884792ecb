import { z } from "zod";
import { roleProcedure, router } from "../trpc.js";

const text = z.string().min(1).max(200);

export const auditRouter = router({
  /**
   * Audit events, newest first, filtered by actor (`user`), action, target flow (`flow`) and time
   * [since, until); `cursor` is the last id of the previous page. Reading the log is not audited.
   */
  list: roleProcedure("admin")
    .input(
      z
        .object({
          user: text.optional(),
          action: text.optional(),
          flow: text.optional(),
          since: z.iso.datetime({ offset: true }).optional(),
          until: z.iso.datetime({ offset: true }).optional(),
          limit: z.number().int().min(1).max(1000).default(100),
          cursor: z.string().regex(/^\d{1,19}$/).optional(),
        })
        .default({ limit: 100 }),
    )
    .query(async ({ ctx, input }) => {
      const rows = await ctx.services.repositories.audit.list({
        actor: input.user,
        action: input.action,
        target: input.flow,
        since: input.since ? new Date(input.since) : undefined,
        until: input.until ? new Date(input.until) : undefined,
        before: input.cursor,
        limit: input.limit,
      });
      return { rows, nextCursor: rows.length === input.limit ? rows[rows.length - 1]!.id : null };
    }),
});
