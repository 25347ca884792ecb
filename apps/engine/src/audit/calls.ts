import type { TRPCError } from "@trpc/server";
import type { Context, ProcedureMeta } from "../api/trpc.js";
import { field, record } from "./record.js";

export interface FinishedCall {
  path: string;
  type: "query" | "mutation" | "subscription";
  meta: ProcedureMeta | undefined;
  input: unknown;
  result: { ok: true; data: unknown } | { ok: false; error: TRPCError };
}

/**
 * The audit middleware's decision: a call is recorded when its procedure names an audit action
 * (meta.audit), and every mutation is (under its path when unnamed) unless it says `audit: false`.
 * Its target is what meta.auditWhat says, else the input's flowId, id or name.
 */
export function auditedAction(call: Pick<FinishedCall, "path" | "type" | "meta">): string | undefined {
  const named = call.meta?.audit;
  if (named === false) return undefined;
  return named ?? (call.type === "mutation" ? call.path : undefined);
}

export async function recordCall(ctx: Context, call: FinishedCall): Promise<void> {
  const action = auditedAction(call);
  if (!action || !ctx.services.audit) return;
  const output = call.result.ok ? call.result.data : undefined;
  let what;
  try {
    what = call.meta?.auditWhat?.(call.input, output) ?? {};
  } catch {
    // a refused call's input may be anything: its row keeps the defaults
    what = {};
  }
  await record(ctx, {
    ...what,
    action,
    target: what.target ?? field(call.input, "flowId") ?? field(call.input, "id") ?? field(call.input, "name"),
    outcome: call.result.ok ? "ok" : "refused",
    errorCode: call.result.ok ? undefined : call.result.error.code,
  });
}
