/**
 * The engine's tRPC API as the designer uses it.
 *
 * One untyped tRPC client (httpBatchLink for queries/mutations, httpSubscriptionLink (SSE)
 * for subscriptions, via splitLink) wrapped in small typed functions. The wrappers keep the
 * UI working while procedures are still being written on the engine side: a procedure the
 * engine does not have yet answers NOT_FOUND, which `isMissingProcedure` recognises, and the
 * UI hides or disables the matching control. Types: see ./types (checked against AppRouter
 * in ./contract-check when the router exports them).
 */
import { createTRPCUntypedClient, httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError } from "@trpc/client";
import type { AnyRouter } from "@trpc/server";
import type { FlowDocument } from "@millrace/flow";
import type {
  CatalogEntry,
  DeploymentStatus,
  FlowGetResult,
  FlowListItem,
  FlowSaveResult,
  FlowVersionInfo,
  LineageGraph,
  LiveStats,
  ProvenanceEvent,
  ReplayRangeResult,
  ReplayResult,
  TapRecord,
} from "./types";

const base = typeof window !== "undefined" ? window.location.origin : "http://127.0.0.1:8080";
const url = `${base}/trpc`;

export const trpc = createTRPCUntypedClient<AnyRouter>({
  links: [
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
    list: () => trpc.query("flows.list") as Promise<FlowListItem[]>,
    get: (id: string, version?: number) => trpc.query("flows.get", { id, version }) as Promise<FlowGetResult>,
    save: (input: { document: FlowDocument; baseVersion?: number; author?: string; message?: string }) =>
      trpc.mutation("flows.save", input) as Promise<FlowSaveResult>,
    versions: (id: string) => trpc.query("flows.versions", { id }) as Promise<FlowVersionInfo[]>,
    delete: (id: string) => trpc.mutation("flows.delete", { id }) as Promise<unknown>,
    import: (text: string, asCopy?: boolean) => trpc.mutation("flows.import", { text, asCopy }) as Promise<{ id: string }>,
    export: (id: string, version?: number) => trpc.query("flows.export", { id, version }) as Promise<FlowDocument>,
  },
  catalog: {
    list: () => trpc.query("catalog.list") as Promise<CatalogEntry[]>,
  },
  deployments: {
    deploy: (flowId: string, version?: number) => trpc.mutation("deployments.deploy", { flowId, version }) as Promise<unknown>,
    stop: (flowId: string) => trpc.mutation("deployments.stop", { flowId }) as Promise<unknown>,
    status: (flowId: string) => trpc.query("deployments.status", { flowId }) as Promise<DeploymentStatus | null>,
  },
  stats: {
    live: (flowId: string, on: { data: (s: LiveStats) => void; error?: (e: unknown) => void }): Unsub =>
      trpc.subscription("stats.live", { flowId }, { onData: (d) => on.data(unwrapTracked(d) as LiveStats), onError: on.error }),
  },
  tap: {
    edge: (flowId: string, edgeId: string, on: { data: (r: TapRecord) => void; error?: (e: unknown) => void; complete?: () => void }, max?: number): Unsub =>
      trpc.subscription("tap.edge", { flowId, edgeId, max }, { onData: (d) => on.data(unwrapTracked(d) as TapRecord), onError: on.error, onComplete: on.complete }),
    /** the last `limit` records of the edge, oldest first */
    recent: (flowId: string, edgeId: string, limit: number) => trpc.query("tap.recent", { flowId, edgeId, limit }) as Promise<TapRecord[]>,
  },
  provenance: {
    lineage: (recordId: string, maxEvents?: number) => trpc.query("provenance.lineage", { recordId, maxEvents }) as Promise<LineageGraph>,
    events: (q: { flowId: string; nodeId?: string; from?: number; to?: number; limit?: number }) => trpc.query("provenance.events", q) as Promise<ProvenanceEvent[]>,
    replay: (flowId: string, recordId: string, nodeId?: string) => trpc.mutation("provenance.replay", { flowId, recordId, nodeId }) as Promise<ReplayResult>,
    replayRange: (input: { flowId: string; edgeId: string; partition: number; fromOffset: string; toOffset: string }) =>
      trpc.mutation("provenance.replayRange", input) as Promise<ReplayRangeResult>,
  },
};

/** tRPC `tracked()` events arrive as {id, data}; plain yields arrive as is. */
function unwrapTracked(d: unknown): unknown {
  if (d && typeof d === "object" && "id" in d && "data" in d && Object.keys(d).length === 2) return (d as { data: unknown }).data;
  return d;
}

// ---------- errors ----------

export function errorCode(e: unknown): string | undefined {
  if (e instanceof TRPCClientError) return (e.data as { code?: string } | undefined)?.code ?? (e.shape as any)?.data?.code;
  return undefined;
}

/** The engine has no such procedure (yet). */
export function isMissingProcedure(e: unknown): boolean {
  return errorCode(e) === "NOT_FOUND" && /no such procedure|no procedure found|not found on router/i.test(errorMessage(e));
}

/** The engine is not reachable at all (network error, proxy 50x, HTML instead of JSON). */
export function isUnreachable(e: unknown): boolean {
  if (!(e instanceof TRPCClientError)) return e instanceof TypeError;
  return !e.data && !e.shape;
}

/**
 * An engine error in words a person understands, for the tap and provenance views:
 * unreachable engine, a missing procedure, or the engine's own message (already written for people).
 */
export function friendlyError(e: unknown, what: string): string {
  if (isUnreachable(e)) return `The engine is not reachable, so ${what} cannot be shown. Is it running?`;
  if (isMissingProcedure(e)) return `This engine does not offer ${what} (it is older than this designer).`;
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
