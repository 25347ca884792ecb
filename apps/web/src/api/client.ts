/**
 * The engine's tRPC API as the designer uses it.
 *
 * One client typed by the engine's AppRouter (httpBatchLink for queries/mutations,
 * httpSubscriptionLink (SSE) for subscriptions, via splitLink), so a change in a procedure's
 * input or output fails the web type check. Only the router's type is imported: no engine
 * code reaches the browser bundle. `api` keeps the call sites short; its results are the
 * router's own output types (see ./types).
 */
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError, type TRPCLink } from "@trpc/client";
import { observable } from "@trpc/server/observable";
import type { AppRouter } from "@millrace/engine/api/router";
import type { FlowDocument } from "@millrace/flow";
import type { LiveStats, TapRecord } from "./types";

const base = typeof window !== "undefined" ? window.location.origin : "http://127.0.0.1:8080";
const url = `${base}/trpc`;

// calls whose 401 means "wrong password" or "not logged in yet", not "the session ended"
const LOGIN_PATHS = new Set(["auth.login", "auth.me", "auth.logout"]);
let unauthorizedListener: () => void = () => {};

/** Called whenever the engine refuses a call with 401 (the session expired or was revoked). */
export function onUnauthorized(listener: () => void): void {
  unauthorizedListener = listener;
}

const watchUnauthorized: TRPCLink<AppRouter> = () => ({ next, op }) =>
  observable((observer) =>
    next(op).subscribe({
      next: (value) => observer.next(value),
      error: (e) => {
        if (!LOGIN_PATHS.has(op.path) && isUnauthorized(e)) unauthorizedListener();
        observer.error(e);
      },
      complete: () => observer.complete(),
    }),
  );

// same-origin fetch sends the session cookie by default: no credentials option needed
export const trpc = createTRPCClient<AppRouter>({
  links: [
    watchUnauthorized,
    splitLink({
      condition: (op) => op.type === "subscription",
      true: httpSubscriptionLink({ url }),
      false: httpBatchLink({ url }),
    }),
  ],
});

export interface Unsub {
  unsubscribe(): void;
}

export const api = {
  flows: {
    list: () => trpc.flows.list.query(),
    get: (id: string, version?: number) => trpc.flows.get.query({ id, version }),
    save: (input: { document: FlowDocument; baseVersion?: number; author?: string; message?: string }) => trpc.flows.save.mutate(input),
    versions: (id: string) => trpc.flows.versions.query({ id }),
    delete: (id: string) => trpc.flows.delete.mutate({ id }),
    import: (text: string, asCopy?: boolean, onExisting?: "copy" | "new-version") => trpc.flows.import.mutate({ text, asCopy, onExisting }),
    export: (id: string, version?: number) => trpc.flows.export.query({ id, version }),
  },
  deployments: {
    deploy: (flowId: string, version?: number) => trpc.deployments.deploy.mutate({ flowId, version }),
    stop: (flowId: string) => trpc.deployments.stop.mutate({ flowId }),
    status: (flowId: string) => trpc.deployments.status.query({ flowId }),
  },
  stats: {
    snapshot: (flowId: string) => trpc.stats.snapshot.query({ flowId }),
    live: (flowId: string, on: { data: (s: LiveStats) => void; error?: (e: unknown) => void }): Unsub =>
      trpc.stats.live.subscribe({ flowId }, { onData: on.data, onError: on.error }),
  },
  tap: {
    edge: (flowId: string, edgeId: string, on: { data: (r: TapRecord) => void; error?: (e: unknown) => void; complete?: () => void }, max?: number): Unsub =>
      trpc.tap.edge.subscribe({ flowId, edgeId, max }, { onData: on.data, onError: on.error, onComplete: on.complete }),
    /** the last `limit` records of the edge, oldest first */
    recent: (flowId: string, edgeId: string, limit: number) => trpc.tap.recent.query({ flowId, edgeId, limit }),
  },
  tables: {
    /** the row of one key (`value` null: no such row) */
    get: (flowId: string, nodeId: string, key: string) => trpc.tables.get.query({ flowId, nodeId, key }),
    /** rows in key order, those starting with `prefix`, at most `limit` */
    scan: (flowId: string, nodeId: string, prefix: string | undefined, limit: number) => trpc.tables.scan.query({ flowId, nodeId, prefix, limit }),
  },
  provenance: {
    lineage: (recordId: string, maxEvents?: number) => trpc.provenance.lineage.query({ recordId, maxEvents }),
    replay: (flowId: string, recordId: string, nodeId?: string) => trpc.provenance.replay.mutate({ flowId, recordId, nodeId }),
  },
};

// ---------- errors ----------

export function errorCode(e: unknown): string | undefined {
  if (e instanceof TRPCClientError) return (e.data as { code?: string } | undefined)?.code ?? (e.shape as { data?: { code?: string } } | undefined)?.data?.code;
  return undefined;
}

/** The engine wants credentials: a tRPC UNAUTHORIZED, or a bare 401 from in front of tRPC. */
export function isUnauthorized(e: unknown): boolean {
  if (errorCode(e) === "UNAUTHORIZED") return true;
  const response = e instanceof TRPCClientError ? (e.meta as { response?: { status?: number } } | undefined)?.response : undefined;
  return response?.status === 401;
}

/** The engine is not reachable at all (network error, proxy 50x, HTML instead of JSON). */
export function isUnreachable(e: unknown): boolean {
  if (!(e instanceof TRPCClientError)) return e instanceof TypeError;
  return !e.data && !e.shape && !isUnauthorized(e);
}

/**
 * An engine error in words a person understands, for the tap and provenance views:
 * unreachable engine, or the engine's own message (already written for people).
 */
export function friendlyError(e: unknown, what: string): string {
  if (isUnreachable(e)) return `The engine is not reachable, so ${what} cannot be shown. Is it running?`;
  const code = errorCode(e);
  const msg = errorMessage(e);
  if (code === "TOO_MANY_REQUESTS") return `${msg}. Close a tap in another tab and try again.`;
  if (code === "INTERNAL_SERVER_ERROR") return `The engine failed while reading ${what}: ${msg}`;
  return msg.charAt(0).toUpperCase() + msg.slice(1);
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/**
 * Path-named errors of a refused import/save: the engine puts them in `data.errors`
 * (array of strings or {path,message}) and/or in the message, one per line.
 */
export function pathErrors(e: unknown): string[] {
  const data = e instanceof TRPCClientError ? (e.data as { errors?: unknown } | undefined) : undefined;
  const list = data?.errors;
  if (Array.isArray(list) && list.length) {
    return list.map((x) => {
      if (typeof x === "string") return x;
      if (x && typeof x === "object") {
        const o = x as { path?: unknown; message?: unknown };
        const path = Array.isArray(o.path) ? o.path.join(".") : o.path;
        return path ? `${String(path)}: ${String(o.message ?? "")}` : String(o.message ?? JSON.stringify(x));
      }
      return String(x);
    });
  }
  return errorMessage(e)
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}
