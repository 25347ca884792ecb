import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestDatabase, freePort } from "@millrace/testkit";
import { startEngine, type RunningEngine } from "../../engine.js";
import { TEST_ADMIN_PASSWORD, uid } from "../../../test-support/index.js";
import { startTestOidcProvider, type TestOidcProvider } from "../../../test-support/oidc-provider.js";
import type { Logger } from "../../log.js";
import { parseRoleMap } from "./role-map.js";

/** A browser's cookies, enough for two servers on one host: name → value. */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === "" || /max-age=0\b/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  get(name: string): string | undefined {
    return this.cookies.get(name);
  }
}

/**
 * What a browser does from "Sign in with SSO" on: follows the redirects, fills the provider's
 * login form and its consent form, and comes back to the engine's callback. The last answer.
 */
async function signIn(engineUrl: string, login: string, jar = new CookieJar()): Promise<{ res: Response; body: string; jar: CookieJar }> {
  let url = `${engineUrl}/auth/oidc/login`;
  let form: { action: string; fields: Record<string, string> } | undefined;
  for (let step = 0; step < 20; step++) {
    const res = form
      ? await fetch(form.action, { method: "POST", redirect: "manual", headers: { cookie: jar.header(), "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form.fields).toString() })
      : await fetch(url, { redirect: "manual", headers: { cookie: jar.header() } });
    jar.take(res);
    form = undefined;
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location) {
      const next = new URL(location, url).href;
      // back at the engine with its answer to the callback: that is what the test looks at
      if (url.includes("/auth/oidc/callback")) return { res, body: "", jar };
      url = next;
      continue;
    }
    const body = await res.text();
    if (url.startsWith(engineUrl)) return { res, body, jar };
    const action = /<form[^>]*action="([^"]+)"/.exec(body)?.[1];
    const prompt = /name="prompt" value="([a-z]+)"/.exec(body)?.[1];
    if (!action || !prompt) throw new Error(`the provider answered ${res.status} without a form: ${body.slice(0, 300)}`);
    form = { action: new URL(action.replace(/&amp;/g, "&"), url).href, fields: prompt === "login" ? { prompt, login, password: "any" } : { prompt } };
  }
  throw new Error("too many redirects");
}

describe("single sign-on through a real OpenID Connect provider", () => {
  let engine: RunningEngine;
  let provider: TestOidcProvider;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  const trpc = async (path: string, cookie: string, input?: unknown) => {
    const r = await fetch(input === undefined ? `${engine.url}/trpc/${path}` : `${engine.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers: { cookie } });
    return { status: r.status, body: (await r.json()) as { result?: { data: any }; error?: { message: string } } };
  };

  beforeAll(async () => {
    db = await createTestDatabase("sso");
    const enginePort = await freePort();
    provider = await startTestOidcProvider(await freePort(), `http://127.0.0.1:${enginePort}/auth/oidc/callback`, [
      { login: "alice", preferredUsername: "alice.ops", groups: ["millrace-ops", "staff"] },
      { login: "bob", groups: ["sales"] },
      { login: "admin", groups: ["millrace-admins"] },
    ]);
    engine = await startEngine({
      host: "127.0.0.1",
      port: enginePort,
      databaseUrl: db.url,
      kafkaBrokers: [],
      engineId: uid("eng"),
      identity: {
        adminPassword: TEST_ADMIN_PASSWORD,
        oidc: {
          issuer: provider.issuer,
          clientId: provider.clientId,
          clientSecret: provider.clientSecret,
          groupsClaim: "groups",
          roleMap: parseRoleMap("millrace-admins=admin,millrace-ops=operator"),
          scopes: "openid profile groups",
        },
      },
    });
  });
  afterAll(async () => {
    await engine?.close();
    await provider?.close();
    await db?.drop();
  });

  it("tells the logged-out login page that SSO is offered", async () => {
    const r = await trpc("auth.providers", "");
    expect(r.body.result?.data).toEqual({ password: true, oidc: { loginUrl: "/auth/oidc/login" } });
  });

  it("logs a user of a mapped group in: a session cookie, the group's role, the groups stored, no password login", async () => {
    const { res, jar } = await signIn(engine.url, "alice");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/");
    expect(res.headers.getSetCookie().find((c) => c.startsWith("millrace_session="))).toMatch(/HttpOnly; SameSite=Strict/);
    const cookie = `millrace_session=${jar.get("millrace_session")}`;
    expect((await trpc("auth.me", cookie)).body.result?.data).toEqual({ name: "alice.ops", role: "operator", via: "session" });
    const user = await engine.services.repositories.users.get("alice.ops");
    expect(user).toMatchObject({ role: "operator", passwordHash: null });
    expect((await engine.services.repositories.users.list()).find((u) => u.name === "alice.ops")).toMatchObject({ groups: ["millrace-ops", "staff"] });
    // an SSO user has no password: a password login finds nothing to open
    const login = await fetch(`${engine.url}/trpc/auth.login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "alice.ops", password: "any-password" }) });
    expect(login.status).toBe(401);
  });

  it("follows the provider's groups on the next login (same user, new role)", async () => {
    provider.accounts.get("alice")!.groups = ["millrace-admins"];
    const { jar } = await signIn(engine.url, "alice");
    expect((await trpc("auth.me", `millrace_session=${jar.get("millrace_session")}`)).body.result?.data).toEqual({ name: "alice.ops", role: "admin", via: "session" });
    expect((await engine.services.repositories.users.list()).filter((u) => u.name.startsWith("alice"))).toHaveLength(1);
  });

  it("refuses a user in no mapped group, saying why, with no session", async () => {
    const { res, body } = await signIn(engine.url, "bob");
    expect(res.status).toBe(403);
    expect(body).toContain("your account (bob) is in no group that has a role here (groups: sales)");
    expect(res.headers.getSetCookie().some((c) => c.startsWith("millrace_session="))).toBe(false);
    expect(await engine.services.repositories.users.get("bob")).toBeUndefined();
  });

  it("writes SSO logins, and refusals with their reason, to the audit log", async () => {
    const rows = await engine.services.repositories.audit.list({ action: "auth.login", limit: 50 });
    expect(rows.find((r) => r.actor === "alice.ops")).toMatchObject({ via: "sso", outcome: "ok", detail: { client: "browser", issuer: provider.issuer } });
    expect(rows.find((r) => r.outcome === "refused" && r.errorCode === "FORBIDDEN")?.detail).toMatchObject({ reason: expect.stringContaining("your account (bob)") });
  });

  it("never lets a provider account take over a local user of the same name", async () => {
    const { res, body } = await signIn(engine.url, "admin");
    expect(res.status).toBe(409);
    expect(body).toContain(`the user name "admin" is taken`);
  });

  it("refuses a callback the browser did not start, and a replayed one", async () => {
    const started = await fetch(`${engine.url}/auth/oidc/login`, { redirect: "manual" });
    const state = new URL(started.headers.get("location")!).searchParams.get("state")!;
    const forged = await fetch(`${engine.url}/auth/oidc/callback?code=x&state=${state}`, { redirect: "manual" });
    expect(forged.status).toBe(401);
    expect(await forged.text()).toContain("not started in this browser");
    const replay = await fetch(`${engine.url}/auth/oidc/callback?code=x&state=${state}`, { redirect: "manual", headers: { cookie: `millrace_oidc_state=${state}` } });
    expect(replay.status).toBe(401);
  });

  it("keeps the last admin admin when the provider's groups would demote it, and says why in the log", async () => {
    // alice.ops is admin since the groups test; with the local admin gone it is the only one
    await engine.services.repositories.users.remove("admin");
    const warn = vi.spyOn((engine.services.identity.oidc as unknown as { deps: { log: Logger } }).deps.log, "warn");
    provider.accounts.get("alice")!.groups = ["millrace-ops"];
    const { jar } = await signIn(engine.url, "alice");
    expect((await trpc("auth.me", `millrace_session=${jar.get("millrace_session")}`)).body.result?.data).toEqual({ name: "alice.ops", role: "admin", via: "session" });
    expect((await engine.services.repositories.users.list()).find((u) => u.name === "alice.ops")).toMatchObject({ role: "admin", groups: ["millrace-ops"] });
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ user: "alice.ops", mappedRole: "operator" }), expect.stringContaining("alice.ops stays admin although MILLRACE_OIDC_ROLE_MAP gives its groups the operator role: alice.ops is the last admin"));
    warn.mockRestore();

    // with another admin, the next sign-in applies the mapped role
    await engine.services.repositories.users.add({ name: "second-admin", role: "admin", passwordHash: "unused" });
    await signIn(engine.url, "alice");
    expect(await engine.services.repositories.users.get("alice.ops")).toMatchObject({ role: "operator" });
  });
});
