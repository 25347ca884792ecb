import { describe, expect, it } from "vitest";
import { catalog } from "@millrace/processors";
import { appRouter } from "../api/router.js";
import { createCallerFactory, type Context } from "../api/trpc.js";
import type { AuditEventInput, AuditRepository } from "../db/index.js";
import { DomainError } from "../errors.js";
import { logger, type Logger } from "../log.js";
import type { Services } from "../services.js";
import { AuditLog } from "./audit-log.js";
import { scrubDetail } from "./detail.js";

const TOKEN = "mr_tokenvalue-that-must-never-be-stored-0123456789";
const PASSWORD = "correct horse battery staple";
const SECRET = "hunter2-sensitive-parameter-value";

/** An engine's services as far as the calls below reach them, with an audit log writing into `rows`. */
function harness(log: Logger = logger, append?: (e: AuditEventInput) => Promise<void>) {
  const rows: AuditEventInput[] = [];
  const repo = { append: append ?? (async (e: AuditEventInput) => void rows.push(e)), prune: async () => 0, list: async () => [] } as unknown as AuditRepository;
  const services = {
    catalog,
    audit: new AuditLog(repo, undefined, log),
    repositories: {
      flows: { exists: async () => false, save: async (doc: { id: string }) => ({ id: doc.id, version: 1, created: true }) },
    },
    identity: {
      tokens: { create: async (_p: unknown, role: string, name: string) => ({ id: "tok-1", name, role, token: TOKEN }) },
      users: { add: async () => {} },
      logins: {
        login: async () => {
          throw new DomainError("UNAUTHENTICATED", "wrong user name or password");
        },
      },
    },
  } as unknown as Services;
  const caller = (ctx: Partial<Context>) => createCallerFactory(appRouter)({ services, remoteAddress: "203.0.113.7", ...ctx });
  return { rows, caller };
}

const admin = { name: "root", role: "admin" as const, via: "token" as const };

describe("the audit log keeps no secret", () => {
  it("records a token's creation with its id and role, never the token", async () => {
    const { rows, caller } = harness();
    const created = await caller({ principal: admin }).tokens.create({ role: "viewer", name: "ci" });
    expect(created.token).toBe(TOKEN);
    expect(rows).toEqual([
      { actor: "root", via: "token", remoteAddress: "203.0.113.7", action: "token.create", target: "tok-1", detail: { role: "viewer", name: "ci" }, outcome: "ok", errorCode: undefined },
    ]);
    expect(JSON.stringify(rows)).not.toContain(TOKEN);
  });

  it("records a flow save with sensitive parameters as its id and version only", async () => {
    const { rows, caller } = harness();
    const document = {
      schemaVersion: 1,
      id: "orders",
      name: "Orders",
      nodes: [{ id: "gen", type: "generate", typeVersion: 1, config: { count: 1, template: "{}" }, position: { x: 0, y: 0 } }],
      edges: [],
      parameters: [{ name: "password", value: SECRET, sensitive: true }],
    };
    await caller({ principal: admin }).flows.save({ document, message: "first" });
    expect(rows).toMatchObject([{ action: "flow.save", target: "orders", detail: { version: 1, created: true, message: "first" }, outcome: "ok" }]);
    expect(JSON.stringify(rows)).not.toContain(SECRET);
  });

  it("records a user's creation without the password, and a failed login with the name tried", async () => {
    const { rows, caller } = harness();
    await caller({ principal: admin }).users.add({ name: "vera", role: "viewer", password: PASSWORD });
    await expect(caller({}).auth.login({ name: "mallory", password: PASSWORD })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    expect(rows).toMatchObject([
      { actor: "root", action: "user.add", target: "vera", detail: { role: "viewer" }, outcome: "ok" },
      { actor: "mallory", via: "password", remoteAddress: "203.0.113.7", action: "auth.login", outcome: "refused", errorCode: "UNAUTHORIZED" },
    ]);
    expect(JSON.stringify(rows)).not.toContain(PASSWORD);
  });

  it("records a call refused for its role, before any handler ran", async () => {
    const { rows, caller } = harness();
    await expect(caller({ principal: { name: "vic", role: "viewer", via: "session" } }).users.add({ name: "x", role: "admin", password: PASSWORD })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(rows).toMatchObject([{ actor: "vic", via: "session", action: "user.add", target: "x", outcome: "refused", errorCode: "FORBIDDEN" }]);
  });

  it("scrubs secret-named keys and long strings from any detail", () => {
    const long = "x".repeat(500);
    expect(scrubDetail({ password: "p", token: "t", apiKey: "k", nested: { secret: "s", ok: 1 }, list: [{ cookie: "c", n: 2 }], long })).toEqual({
      nested: { ok: 1 },
      list: [{ n: 2 }],
      long: `${"x".repeat(200)}…`,
    });
  });
});

describe("a failing audit write", () => {
  function errorSpy() {
    const errors: string[] = [];
    return { errors, log: { error: (_o: unknown, msg: string) => void errors.push(msg), warn: () => {}, info: () => {} } as unknown as Logger };
  }

  it("is logged, and the audited call keeps its own answer (even when the store rejects with a non-Error)", async () => {
    const { errors, log } = errorSpy();
    const { caller } = harness(log, () => Promise.reject(null));
    expect(await caller({ principal: admin }).tokens.create({ name: "ci", role: "editor" })).toMatchObject({ id: "tok-1" });
    expect(errors).toEqual([expect.stringMatching(/could not store the audit event token\.create by root \(null\)/)]);
  });

  it("is logged when the detail cannot even be read, and the record still resolves", async () => {
    const { errors, log } = errorSpy();
    const audit = new AuditLog({ append: async () => {} } as unknown as AuditRepository, undefined, log);
    const detail = Object.defineProperty({}, "version", {
      enumerable: true,
      get() {
        throw new Error("detail getter failed");
      },
    });
    await expect(audit.record({ action: "flow.save", actor: "ann", outcome: "ok", detail })).resolves.toBeUndefined();
    expect(errors).toEqual([expect.stringMatching(/flow\.save by ann \(detail getter failed\)/)]);
  });
});
