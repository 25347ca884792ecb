import { describe, expect, it } from "vitest";
import { ROLES, roleBelow, type Principal, type Role } from "../auth/index.js";
import type { Services } from "../services.js";
import { appRouter } from "./router.js";
import { createCallerFactory, type ProcedureMeta } from "./trpc.js";

/** The only procedures that answer logged out: the ways to log in, and which of them this engine offers. */
const OPEN = ["auth.login", "auth.cliLogin", "auth.providers"];

interface ProcedureDef {
  _def: { meta?: ProcedureMeta; type: "query" | "mutation" | "subscription" };
}

const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, ProcedureDef>);
const makeCaller = createCallerFactory(appRouter);
// a refused call never reaches a service: none is needed
const services = {} as Services;

function call(path: string, principal: Principal | undefined): Promise<unknown> {
  const caller = makeCaller({ services, principal }) as unknown as Record<string, unknown>;
  const fn = path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller) as (input?: unknown) => Promise<unknown>;
  return Promise.resolve().then(() => fn(undefined));
}

describe("every procedure declares a role and the server enforces it", () => {
  it("finds the router's procedures", () => {
    expect(procedures.length).toBeGreaterThan(20);
  });

  it.each(procedures)("%s declares who may call it", (path, proc) => {
    const requires = proc._def.meta?.requires;
    expect(requires, `${path} has no role: build it with roleProcedure(role) in api/trpc.ts`).toBeDefined();
    if (requires === "anyone") expect(OPEN, `${path} is open to anyone; only logging in may be`).toContain(path);
    else expect(ROLES).toContain(requires);
  });

  const guarded = procedures.filter(([, p]) => p._def.meta?.requires !== "anyone").map(([path, p]) => [path, p._def.meta?.requires as Role] as const);

  it.each(guarded)("%s answers UNAUTHORIZED without credentials", async (path, role) => {
    await expect(call(path, undefined)).rejects.toMatchObject({ code: "UNAUTHORIZED", message: expect.stringContaining(`log in first: this needs the ${role} role`) });
  });

  it.each(guarded.filter(([, role]) => roleBelow(role)))("%s (%s) answers FORBIDDEN to the role just below", async (path, role) => {
    const below = roleBelow(role)!;
    await expect(call(path, { name: "someone", role: below, via: "token" })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: `this needs the ${role} role (you are ${below})`,
    });
  });

  it("lets the role itself past the check (the call fails later, on input or the missing services, never on the role)", async () => {
    for (const [path, role] of guarded) {
      const outcome = await call(path, { name: "someone", role, via: "token" }).then(
        () => undefined,
        (e: { code?: string }) => e.code,
      );
      expect([path, outcome]).not.toEqual([path, "UNAUTHORIZED"]);
      expect([path, outcome]).not.toEqual([path, "FORBIDDEN"]);
    }
  });
});
