import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, freePort } from "@millrace/testkit";
import { startEngine, type RunningEngine } from "../engine.js";
import { bearer, TEST_ADMIN_PASSWORD, uid } from "../../test-support/index.js";
import { tokenHash } from "./secret-tokens.js";

interface Answer {
  status: number;
  data: any;
  message?: string;
  setCookie: string | null;
}

describe("users, sessions and API tokens over HTTP", () => {
  let engine: RunningEngine;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  async function call(path: string, input: unknown, headers: Record<string, string> = {}, kind: "query" | "mutation" = "mutation"): Promise<Answer> {
    const url = `${engine.url}/trpc/${path}`;
    const r =
      kind === "query"
        ? await fetch(input === undefined ? url : `${url}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers })
        : await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(input ?? null) });
    const body = (await r.json()) as { result?: { data: unknown }; error?: { message: string } };
    return { status: r.status, data: body.result?.data, message: body.error?.message, setCookie: r.headers.get("set-cookie") };
  }
  const cliLogin = async (name: string, password: string) => (await call("auth.cliLogin", { name, password })).data.token as string;

  beforeAll(async () => {
    db = await createTestDatabase("identity");
    const start = async () =>
      startEngine({ host: "127.0.0.1", port: await freePort(), databaseUrl: db.url, kafkaBrokers: [], engineId: uid("eng"), identity: { adminPassword: TEST_ADMIN_PASSWORD, loginFailuresPerMinute: 3 } });
    // a second start on the same database creates no second admin, and says nothing about it
    await (await start()).close();
    engine = await start();
  });
  afterAll(async () => {
    await engine?.close();
    await db?.drop();
  });

  it("creates the first admin once, with MILLRACE_ADMIN_PASSWORD; stores only an argon2id hash", async () => {
    const users = await engine.services.repositories.users.list();
    expect(users.map((u) => [u.name, u.role])).toEqual([["admin", "admin"]]);
    expect((await engine.services.repositories.users.get("admin"))!.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it("logs a browser in with an HttpOnly, SameSite=Strict cookie; the cookie works until logout", async () => {
    expect((await call("flows.list", undefined, {}, "query")).status).toBe(401);
    const login = await call("auth.login", { name: "admin", password: TEST_ADMIN_PASSWORD });
    expect(login).toMatchObject({ status: 200, data: { name: "admin", role: "admin" } });
    expect(login.setCookie).toMatch(/^millrace_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=604800$/);
    const cookie = { cookie: login.setCookie!.split(";")[0]! };
    expect((await call("auth.me", undefined, cookie, "query")).data).toEqual({ name: "admin", role: "admin", via: "session" });
    expect((await call("flows.list", undefined, cookie, "query")).status).toBe(200);
    // only the hash is stored
    const token = cookie.cookie.split("=")[1]!;
    expect(await engine.services.repositories.sessions.find(tokenHash(token), { idleMinutes: 10, maxHours: 1 })).toMatchObject({ userName: "admin" });
    expect(await engine.services.repositories.sessions.find(token, { idleMinutes: 10, maxHours: 1 })).toBeUndefined();
    const out = await call("auth.logout", null, cookie);
    expect(out).toMatchObject({ status: 200, data: { ok: true } });
    expect(out.setCookie).toMatch(/^millrace_session=; .*Max-Age=0/);
    expect((await call("auth.me", undefined, cookie, "query")).status).toBe(401);
  });

  it("ends sessions idle too long or too old", async () => {
    const login = await call("auth.login", { name: "admin", password: TEST_ADMIN_PASSWORD });
    const hash = tokenHash(login.setCookie!.split(";")[0]!.split("=")[1]!);
    const sessions = engine.services.repositories.sessions;
    expect(await sessions.find(hash, { idleMinutes: 1, maxHours: 1 })).toBeDefined();
    expect(await sessions.find(hash, { idleMinutes: 0, maxHours: 1 })).toBeUndefined();
    expect(await sessions.find(hash, { idleMinutes: 1, maxHours: 0 })).toBeUndefined();
  });

  it("manages users as admin; refuses a viewer with 403 naming the role; keeps the last admin", async () => {
    const admin = bearer((await engine.services.identity.tokens.create({ name: "admin", role: "admin" }, "admin", "t")).token);
    expect((await call("users.add", { name: "vera", role: "viewer", password: "short" }, admin)).status).toBe(400);
    expect((await call("users.add", { name: "bad name", role: "viewer", password: "long enough" }, admin)).status).toBe(400);
    expect((await call("users.add", { name: "vera", role: "viewer", password: "vera-password" }, admin)).status).toBe(200);
    expect((await call("users.add", { name: "vera", role: "viewer", password: "vera-password" }, admin)).status).toBe(409);
    expect((await call("users.list", undefined, admin, "query")).data.map((u: { name: string; role: string }) => `${u.name}:${u.role}`)).toEqual(["admin:admin", "vera:viewer"]);

    const vera = bearer((await engine.services.identity.tokens.create({ name: "vera", role: "viewer" }, "viewer", "t")).token);
    expect(await call("deployments.deploy", { flowId: "f" }, vera)).toMatchObject({ status: 403, message: "this needs the operator role (you are viewer)" });
    expect((await call("users.list", undefined, vera, "query")).status).toBe(403);

    expect(await call("users.setRole", { name: "admin", role: "editor" }, admin)).toMatchObject({ status: 409, message: expect.stringContaining("last admin") });
    expect((await call("users.remove", { name: "admin" }, admin)).status).toBe(409);
    expect((await call("users.setRole", { name: "ghost", role: "editor" }, admin)).status).toBe(404);
  });

  it("gives tokens at most their creator's role, lowers them with the creator's role, and refuses revoked or orphaned ones", async () => {
    const admin = bearer((await engine.services.identity.tokens.create({ name: "admin", role: "admin" }, "admin", "t")).token);
    await call("users.add", { name: "otto", role: "operator", password: "otto-password" }, admin);
    const otto = bearer((await engine.services.identity.tokens.create({ name: "otto", role: "operator" }, "operator", "t")).token);
    expect(await call("tokens.create", { role: "editor" }, otto)).toMatchObject({ status: 403, message: expect.stringContaining("more rights than its creator") });
    const made = await call("tokens.create", { role: "operator", name: "ci" }, otto);
    expect(made.data).toMatchObject({ name: "ci", role: "operator", token: expect.stringMatching(/^mr_/) });
    const ci = bearer(made.data.token);
    expect((await call("auth.me", undefined, ci, "query")).data).toEqual({ name: "otto", role: "operator", via: "token" });
    // only the hash is stored
    expect(JSON.stringify(await engine.services.repositories.apiTokens.list())).not.toContain(made.data.token);

    await call("users.setRole", { name: "otto", role: "viewer" }, admin);
    expect((await call("auth.me", undefined, ci, "query")).data.role).toBe("viewer");

    // a viewer lists and revokes only their own tokens; an admin sees all
    const own = (await call("tokens.list", undefined, ci, "query")).data as { id: string; owner: string }[];
    expect(own.every((t) => t.owner === "otto")).toBe(true);
    const adminsToken = ((await call("tokens.list", undefined, admin, "query")).data as { id: string; owner: string }[]).find((t) => t.owner === "admin")!;
    expect((await call("tokens.revoke", { id: adminsToken.id }, ci)).status).toBe(404);
    expect((await call("tokens.revoke", { id: made.data.id }, ci)).status).toBe(200);
    expect((await call("auth.me", undefined, ci, "query")).status).toBe(401);

    // the CLI's login is a token; its logout revokes it
    const cli = bearer(await cliLogin("admin", TEST_ADMIN_PASSWORD));
    expect((await call("auth.me", undefined, cli, "query")).data).toEqual({ name: "admin", role: "admin", via: "token" });
    expect((await call("auth.logout", null, cli)).status).toBe(200);
    expect((await call("auth.me", undefined, cli, "query")).status).toBe(401);

    await call("users.remove", { name: "otto" }, admin);
    expect((await call("auth.me", undefined, otto, "query")).status).toBe(401);
  });

  it("guards /metrics with a token or session and leaves /healthz open", async () => {
    expect((await fetch(`${engine.url}/metrics`)).status).toBe(401);
    expect([200, 503]).toContain((await fetch(`${engine.url}/healthz`)).status);
    const viewer = bearer((await engine.services.identity.tokens.create({ name: "admin", role: "admin" }, "viewer", "prometheus")).token);
    expect((await fetch(`${engine.url}/metrics`, { headers: viewer })).status).toBe(200);
    expect((await fetch(`${engine.url}/metrics`, { headers: bearer("mr_not-a-token") })).status).toBe(401);
  });

  it("refuses wrong passwords alike for unknown names, then rate-limits with 429 and the seconds to wait", async () => {
    // the address is the socket's: a forwarded-for header claims nothing
    const address = { "x-forwarded-for": "10.9.9.9" };
    expect(await call("auth.login", { name: "nobody", password: "whatever1" }, address)).toMatchObject({ status: 401, message: "wrong user name or password" });
    expect((await call("auth.login", { name: "victim", password: "wrong-one" })).status).toBe(401);
    const limited = await call("auth.login", { name: "victim", password: "wrong-one" });
    expect(limited.status).toBe(401);
    const next = await call("auth.login", { name: "admin", password: TEST_ADMIN_PASSWORD });
    // the address (127.0.0.1) has failed 3 times: locked for everyone there, even with the right password
    expect(next.status).toBe(429);
    expect(next.message).toMatch(/too many failed logins; try again in \d+ s/);
  });
});
