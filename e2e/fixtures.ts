import { test as base, expect } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const screenshotDir = join(dirname(fileURLToPath(import.meta.url)), "screenshots");
mkdirSync(screenshotDir, { recursive: true });

export const test = base.extend<{ engineUrl: string }>({
  engineUrl: async ({}, use) => use(process.env.MILLRACE_E2E_URL!),
  baseURL: async ({}, use) => use(process.env.MILLRACE_E2E_URL!),
});

/** Calls a tRPC mutation or query on the engine the way the web client does (no batching). */
export async function trpc<T = unknown>(engineUrl: string, path: string, input: unknown, kind: "query" | "mutation" = "mutation"): Promise<T> {
  const url = kind === "query" ? `${engineUrl}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}` : `${engineUrl}/trpc/${path}`;
  const res = await fetch(url, kind === "query" ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(input) });
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string } };
  if (!res.ok || !body.result) throw new Error(`${path}: ${body.error?.message ?? res.status}`);
  return body.result.data;
}

export { expect };
