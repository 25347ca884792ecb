/**
 * How the e2e run authenticates: the engine starts with a fixed admin password; API calls from
 * the tests carry an admin API token, and every page starts with an admin session cookie, so
 * specs that are not about identity never see the login page.
 */
import type { BrowserContextOptions } from "@playwright/test";

/** The password the e2e engine gives its first `admin` user (MILLRACE_ADMIN_PASSWORD). */
export const E2E_ADMIN_PASSWORD = "millrace-test-admin";
export const SESSION_COOKIE = "millrace_session";

type StorageState = Exclude<BrowserContextOptions["storageState"], string | undefined>;

async function post(engineUrl: string, path: string, input: unknown): Promise<{ res: Response; data: unknown }> {
  const res = await fetch(`${engineUrl}/trpc/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(input) });
  const body = (await res.json()) as { result?: { data: unknown }; error?: { message: string } };
  if (!res.ok || !body.result) throw new Error(`${path}: ${body.error?.message ?? res.status}`);
  return { res, data: body.result.data };
}

/** An API token for `name`, the way `millrace login` gets one. */
export async function apiToken(engineUrl: string, name: string, password: string): Promise<string> {
  const { data } = await post(engineUrl, "auth.cliLogin", { name, password, tokenName: "e2e" });
  return (data as { token: string }).token;
}

/** A browser state holding a fresh session cookie of `name`, as if they had logged in on the page. */
export async function sessionState(engineUrl: string, name: string, password: string): Promise<StorageState> {
  const { res } = await post(engineUrl, "auth.login", { name, password });
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  if (!cookie) throw new Error(`auth.login set no ${SESSION_COOKIE} cookie`);
  const value = cookie.slice(SESSION_COOKIE.length + 1).split(";")[0]!;
  const { hostname } = new URL(engineUrl);
  return { cookies: [{ name: SESSION_COOKIE, value, domain: hostname, path: "/", expires: -1, httpOnly: true, secure: false, sameSite: "Strict" }], origins: [] };
}
