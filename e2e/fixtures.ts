import { test as base, expect } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const screenshotDir = join(dirname(fileURLToPath(import.meta.url)), "screenshots");
mkdirSync(screenshotDir, { recursive: true });

export const test = base.extend<{ engineUrl: string }>({
  engineUrl: async ({}, use) => use(process.env.MILLRACE_E2E_URL!),
  baseURL: async ({}, use) => use(process.env.MILLRACE_E2E_URL!),
  // every page starts logged in as admin (global-setup.ts); a spec about logging in overrides it
  storageState: async ({}, use) => use(JSON.parse(process.env.MILLRACE_E2E_STORAGE_STATE!)),
});

/**
 * Calls a tRPC mutation or query on the engine the way the web client does (no batching), as
 * admin unless given another API token.
 */
export async function trpc<T = unknown>(engineUrl: string, path: string, input: unknown, kind: "query" | "mutation" = "mutation", token = process.env.MILLRACE_E2E_TOKEN!): Promise<T> {
  const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const url = kind === "query" ? `${engineUrl}/trpc/${path}${query}` : `${engineUrl}/trpc/${path}`;
  const authorization = { authorization: `Bearer ${token}` };
  const res = await fetch(url, kind === "query" ? { headers: authorization } : { method: "POST", headers: { "content-type": "application/json", ...authorization }, body: JSON.stringify(input) });
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string } };
  if (!res.ok || !body.result) throw new Error(`${path}: ${body.error?.message ?? res.status}`);
  return body.result.data;
}

export { expect };
