import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import type { AppRouter } from "../api/router.js";
import { tokenFor } from "./credentials.js";

export function engineUrl(flag?: string | true): string {
  return (typeof flag === "string" ? flag : process.env.MILLRACE_URL ?? "http://127.0.0.1:8080").replace(/\/+$/, "");
}

/** A client that sends `token`, or the one MILLRACE_TOKEN / the credentials file holds for `url`. */
export function engineClient(url: string, token: string | undefined = tokenFor(url)) {
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${url}/trpc`, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })],
  });
}

export type EngineClient = ReturnType<typeof engineClient>;

/** The HTTP status the engine answered with, when it answered. */
export function httpStatusOf(e: unknown): number | undefined {
  if (!(e instanceof TRPCClientError)) return undefined;
  const data = e.data as { httpStatus?: number } | undefined;
  return data?.httpStatus ?? (e.meta as { response?: { status?: number } } | undefined)?.response?.status;
}

/** Turns transport and access failures into a sentence a person can act on. */
export function describeClientError(e: unknown, url: string): string {
  if (e instanceof TRPCClientError) {
    const cause = (e.cause ?? {}) as { code?: string; cause?: { code?: string } };
    const code = cause.code ?? cause.cause?.code;
    if (code === "ECONNREFUSED" || /fetch failed/i.test(e.message)) {
      return `cannot reach the Millrace engine at ${url}: start it with \`pnpm start\` or set MILLRACE_URL`;
    }
    if (httpStatusOf(e) === 401) return `not logged in to ${url}: run \`pnpm millrace login --user NAME\` (or set MILLRACE_TOKEN)`;
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}
