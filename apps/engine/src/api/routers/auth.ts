import { z } from "zod";
import { OIDC_LOGIN_PATH } from "../../auth/index.js";
import { publicProcedure, roleProcedure, router } from "../trpc.js";
import { field } from "../../audit/index.js";

const name = z.string().min(1).max(64);
const password = z.string().min(1).max(1024);

export const authRouter = router({
  /** A browser login: sets the HttpOnly session cookie. Wrong name or password: UNAUTHORIZED; too many failures: TOO_MANY_REQUESTS. */
  login: publicProcedure
    // the name tried is the actor, also (above all) when the password was wrong
    .meta({ audit: "auth.login", auditWhat: (i, o) => ({ actor: field(o, "name") ?? field(i, "name"), via: "password", detail: { client: "browser" } }) })
    .input(z.object({ name, password })).mutation(async ({ ctx, input }) => {
    const r = await ctx.services.identity.logins.login(input.name, input.password, ctx.remoteAddress ?? "in-process");
    ctx.session?.set(r.sessionToken);
    return { name: r.name, role: r.role };
  }),

  /** The CLI's login: an API token with the user's role (shown once; `millrace login` stores it). */
  cliLogin: publicProcedure
    .meta({ audit: "auth.login", auditWhat: (i, o) => ({ actor: field(o, "name") ?? field(i, "name"), via: "password", detail: { client: "cli" } }) })
    .input(z.object({ name, password, tokenName: z.string().max(100).optional() }))
    .mutation(({ ctx, input }) => ctx.services.identity.logins.cliLogin(input.name, input.password, ctx.remoteAddress ?? "in-process", input.tokenName)),

  /** Ends the cookie's session, or revokes the bearer token the request came with. */
  logout: roleProcedure("viewer").meta({ audit: "auth.logout" }).mutation(async ({ ctx }) => {
    await ctx.services.identity.logins.logout(ctx.principal);
    if (ctx.principal.via === "session") ctx.session?.clear();
    return { ok: true as const };
  }),

  /** How one may log in here, for the login page (logged out): always a password; single sign-on when a provider is configured. */
  providers: publicProcedure.query(({ ctx }) => ({
    password: true as const,
    oidc: ctx.services.identity?.oidc ? { loginUrl: OIDC_LOGIN_PATH } : null,
  })),

  me: roleProcedure("viewer").query(({ ctx }) => ({ name: ctx.principal.name, role: ctx.principal.role, via: ctx.principal.via })),
});
