import { z } from "zod";
import { ROLES } from "../../auth/index.js";
import { roleProcedure, router } from "../trpc.js";
import { pick } from "../../audit/index.js";

const name = z.string().min(1).max(64);
const role = z.enum(ROLES);

export const usersRouter = router({
  list: roleProcedure("admin").query(({ ctx }) => ctx.services.identity.users.list()),

  /** Name: letters, digits, ".", "_", "-"; password: at least 8 characters. */
  add: roleProcedure("admin")
    .meta({ audit: "user.add", auditWhat: (i) => ({ detail: pick(i, "role") }) })
    .input(z.object({ name, role, password: z.string().max(1024) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.services.identity.users.add(input.name, input.role, input.password);
      return { ok: true as const };
    }),

  /** Takes effect on the user's next request, sessions and tokens alike. The last admin cannot be demoted. */
  setRole: roleProcedure("admin")
    .meta({ audit: "user.setRole", auditWhat: (i) => ({ detail: pick(i, "role") }) })
    .input(z.object({ name, role }))
    .mutation(async ({ ctx, input }) => {
      await ctx.services.identity.users.setRole(input.name, input.role);
      return { ok: true as const };
    }),

  /** Replaces the user's groups (flow access lists name groups); takes effect on the user's next request. */
  setGroups: roleProcedure("admin")
    .meta({ audit: "user.setGroups", auditWhat: (i) => ({ detail: pick(i, "groups") }) })
    .input(z.object({ name, groups: z.array(z.string().max(64)).max(200) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.services.identity.users.setGroups(input.name, input.groups);
      return { ok: true as const };
    }),

  /** Removes the user, their sessions and tokens. The last admin cannot be removed. */
  remove: roleProcedure("admin").meta({ audit: "user.remove" })
    .input(z.object({ name }))
    .mutation(async ({ ctx, input }) => {
      await ctx.services.identity.users.remove(input.name);
      return { ok: true as const };
    }),
});
