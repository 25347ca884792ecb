import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import type { AppRouter } from "../api/router.js";

export function engineUrl(flag?: string | true): string {
  return (typeof flag === "string" ? flag : process.env.MILLRACE_URL ?? "http://127.0.0.1:8080").replace(/\/+$/, "");
}

export function engineClient(url: string) {
  return createTRPCClient<AppRouter>({ links: [httpLink({ url: `${url}/trpc` })] });
}

/** Turns transport failures into a sentence a person can act on. */
export function describeClientError(e: unknown, url: string): string {
  if (e instanceof TRPCClientError) {
    const cause = (e.cause ?? {}) as { code?: string; cause?: { code?: string } };
    const code = cause.code ?? cause.cause?.code;
    if (code === "ECONNREFUSED" || /fetch failed/i.test(e.message)) {
      return `cannot reach the Millrace engine at ${url}: start it with \`pnpm start\` or set MILLRACE_URL`;
    }
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}
