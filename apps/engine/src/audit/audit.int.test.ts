import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminToken, bearer, flowDoc, readTopic, TEST_ADMIN_PASSWORD, uid } from "../../test-support/index.js";
import { runCliOk } from "../../test-support/cli-runner.js";
import { startTestEngine, type TestEngine } from "../../test-support/engine-harness.js";

const SECRET = "hunter2-audit-secret-value";

interface Answer {
  status: number;
  data: any;
  setCookie: string | null;
}

describe("audit log over HTTP: rows in Postgres, messages in the audit topic", () => {
  let t: TestEngine;
  const topic = uid("mr-audit");
  let admin: Record<string, string>;
  let createdToken = "";

  async function call(path: string, input: unknown, headers: Record<string, string> = {}, kind: "query" | "mutation" = "mutation"): Promise<Answer> {
    const url = `${t.engine.url}/trpc/${path}`;
    const r =
      kind === "query"
        ? await fetch(input === undefined ? url : `${url}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers })
        : await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(input ?? null) });
    const body = (await r.json()) as { result?: { data: unknown } };
    return { status: r.status, data: body.result?.data, setCookie: r.headers.get("set-cookie") };
  }

  async function rows(): Promise<Record<string, any>[]> {
    const c = new pg.Client({ connectionString: t.databaseUrl });
    await c.connect();
    try {
      return (await c.query(`SELECT actor, via, remote_address, action, target, detail, outcome, error_code FROM audit_event ORDER BY id`)).rows;
    } finally {
      await c.end();
    }
  }

  beforeAll(async () => {
    t = await startTestEngine("audit", { identity: { adminPassword: TEST_ADMIN_PASSWORD }, audit: { topic } });
    admin = bearer(await adminToken(t.engine.services));
  });
  afterAll(async () => {
    await t?.close();
  });

  it("records who did what, from where, and how it ended, for several users", async () => {
    expect((await call("users.add", { name: "eddie", role: "editor", password: "eddie-password" }, admin)).status).toBe(200);
    expect((await call("users.add", { name: "olga", role: "operator", password: "olga-password" }, admin)).status).toBe(200);
    // a failed login, then the right password in a browser session
    expect((await call("auth.login", { name: "eddie", password: "not-the-password" })).status).toBe(401);
    const login = await call("auth.login", { name: "eddie", password: "eddie-password" });
    const eddie = { cookie: login.setCookie!.split(";")[0]! };
    const doc = flowDoc("audited", [["gen", "generate", { count: 1, template: "{ 'n': $i }" }], ["out", "log", {}]], [["gen", "success", "out"]], [{ name: "apiPassword", value: SECRET, sensitive: true }]);
    expect((await call("flows.save", { document: doc, message: "first" }, eddie)).status).toBe(200);
    expect((await call("flows.export", { id: "audited" }, eddie, "query")).status).toBe(200);
    // an operator may not delete: refused, and recorded as such
    const olga = bearer((await call("auth.cliLogin", { name: "olga", password: "olga-password" })).data.token);
    expect((await call("flows.delete", { id: "audited" }, olga)).status).toBe(403);
    const token = await call("tokens.create", { role: "viewer", name: "ci" }, admin);
    createdToken = token.data.token;
    expect((await call("tokens.revoke", { id: token.data.id }, admin)).status).toBe(200);
    expect((await call("users.setRole", { name: "olga", role: "viewer" }, admin)).status).toBe(200);

    const all = await rows();
    const where = { remote_address: "127.0.0.1" };
    expect(all).toEqual([
      { ...where, actor: "admin", via: "token", action: "user.add", target: "eddie", detail: { role: "editor" }, outcome: "ok", error_code: null },
      { ...where, actor: "admin", via: "token", action: "user.add", target: "olga", detail: { role: "operator" }, outcome: "ok", error_code: null },
      { ...where, actor: "eddie", via: "password", action: "auth.login", target: "eddie", detail: { client: "browser" }, outcome: "refused", error_code: "UNAUTHORIZED" },
      { ...where, actor: "eddie", via: "password", action: "auth.login", target: "eddie", detail: { client: "browser" }, outcome: "ok", error_code: null },
      { ...where, actor: "eddie", via: "session", action: "flow.save", target: "audited", detail: { version: 1, created: true, message: "first" }, outcome: "ok", error_code: null },
      { ...where, actor: "eddie", via: "session", action: "flow.export", target: "audited", detail: {}, outcome: "ok", error_code: null },
      { ...where, actor: "olga", via: "password", action: "auth.login", target: "olga", detail: { client: "cli" }, outcome: "ok", error_code: null },
      { ...where, actor: "olga", via: "token", action: "flow.delete", target: "audited", detail: {}, outcome: "refused", error_code: "FORBIDDEN" },
      { ...where, actor: "admin", via: "token", action: "token.create", target: token.data.id, detail: { role: "viewer", name: "ci" }, outcome: "ok", error_code: null },
      { ...where, actor: "admin", via: "token", action: "token.revoke", target: token.data.id, detail: {}, outcome: "ok", error_code: null },
      { ...where, actor: "admin", via: "token", action: "user.setRole", target: "olga", detail: { role: "viewer" }, outcome: "ok", error_code: null },
    ]);
    const text = JSON.stringify(all);
    for (const secret of [SECRET, createdToken, "eddie-password", "olga-password", "not-the-password"]) expect(text).not.toContain(secret);
  });

  it("lists events for admins only, newest first, filtered and paged", async () => {
    const viewer = bearer((await call("tokens.create", { role: "viewer" }, admin)).data.token);
    expect((await call("audit.list", {}, viewer, "query")).status).toBe(403);
    const logins = await call("audit.list", { action: "auth.login", user: "eddie" }, admin, "query");
    expect(logins.data.rows.map((r: { outcome: string }) => r.outcome)).toEqual(["ok", "refused"]);
    expect(logins.data.rows[0]).toMatchObject({ actor: "eddie", via: "password", remoteAddress: "127.0.0.1", action: "auth.login" });
    const flow = await call("audit.list", { flow: "audited" }, admin, "query");
    expect(flow.data.rows.map((r: { action: string }) => r.action)).toEqual(["flow.delete", "flow.export", "flow.save"]);
    const first = await call("audit.list", { limit: 2 }, admin, "query");
    const next = await call("audit.list", { limit: 2, cursor: first.data.nextCursor }, admin, "query");
    expect(first.data.rows).toHaveLength(2);
    expect(BigInt(next.data.rows[0].id)).toBeLessThan(BigInt(first.data.rows[1].id));
    const future = await call("audit.list", { since: new Date(Date.now() + 60_000).toISOString() }, admin, "query");
    expect(future.data.rows).toEqual([]);
  });

  it("appends every event to the audit topic, without secrets", async () => {
    const expected = (await rows()).length;
    const messages = await readTopic(t.brokers, topic, (r) => r.length >= expected, { settleMs: 200 });
    expect(messages.map((m) => m.value.action)).toEqual((await rows()).slice(0, messages.length).map((r) => r.action));
    expect(messages.find((m) => m.value.outcome === "refused" && m.value.action === "auth.login")).toMatchObject({ key: "eddie", value: { actor: "eddie", remoteAddress: "127.0.0.1", errorCode: "UNAUTHORIZED" } });
    const text = JSON.stringify(messages);
    for (const secret of [SECRET, createdToken, "eddie-password"]) expect(text).not.toContain(secret);
  });

  it("prints the log from the CLI: `millrace audit`, as a table and as JSON, with filters", async () => {
    const target = { url: t.engine.url, token: await adminToken(t.engine.services) };
    const cli = (...args: string[]) => runCliOk(["audit", ...args], target);
    const json = JSON.parse((await cli("--json", "--user", "eddie", "--action", "auth.login", "--limit", "5")).stdout);
    expect(json.map((r: { outcome: string; errorCode: string | null }) => [r.outcome, r.errorCode])).toEqual([["ok", null], ["refused", "UNAUTHORIZED"]]);
    const lines = (await cli("--flow", "audited")).stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^TIME\s+USER\s+VIA\s+FROM\s+ACTION\s+TARGET\s+OUTCOME\s+DETAIL$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(1, 7))).toEqual([
      ["olga", "token", "127.0.0.1", "flow.delete", "audited", "refused"],
      ["eddie", "session", "127.0.0.1", "flow.export", "audited", "ok"],
      ["eddie", "session", "127.0.0.1", "flow.save", "audited", "ok"],
    ]);
    expect((await cli("--since", "2999-01-01T00:00:00Z")).stdout.trim()).toBe("no audit events match");
  });

  it("prunes beyond the row cap", async () => {
    const before = (await rows()).length;
    expect(await t.engine.services.repositories.audit.prune({ retentionDays: 90, maxRows: 3 })).toBe(before - 3);
    expect((await rows()).map((r) => r.action)).toEqual((await rows()).map((r) => r.action).slice(-3));
    expect(await rows()).toHaveLength(3);
  });
});
