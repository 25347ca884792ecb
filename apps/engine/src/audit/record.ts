import type { AuditOutcome } from "../db/index.js";
import type { Context } from "../api/trpc.js";

/** What a call is about, as a procedure tells the audit log (meta.auditWhat) or a helper passes it. */
export interface AuditWhat {
  /** the flow, user or token id */
  target?: string;
  /** small facts (a version, a role, offsets); secret-named keys and long strings are dropped anyway */
  detail?: Record<string, unknown>;
  /** who, when it is not the request's principal (a login: the name tried) */
  actor?: string;
  /** how, when it is not the principal's session/token (a login: password) */
  via?: string;
}

export interface AuditEntry extends AuditWhat {
  action: string;
  /** default ok */
  outcome?: AuditOutcome;
  /** the tRPC error code of a refused call */
  errorCode?: string;
}

/**
 * Records one event for the caller in `ctx` (who, how, from where). Never rejects and never waits
 * for Kafka; awaiting it means the row is in Postgres. For what a procedure's meta cannot say.
 */
export function record(ctx: Context, entry: AuditEntry): Promise<void> {
  const log = ctx.services.audit;
  if (!log) return Promise.resolve();
  const p = ctx.principal;
  return log.record({
    actor: entry.actor ?? p?.name,
    via: entry.via ?? p?.via,
    remoteAddress: ctx.remoteAddress ?? "in-process",
    action: entry.action,
    target: entry.target,
    detail: entry.detail,
    outcome: entry.outcome ?? "ok",
    errorCode: entry.errorCode,
  });
}

/** A string field of an input or answer (either may be anything, e.g. when the call was refused). */
export function field(from: unknown, key: string): string | undefined {
  const v = typeof from === "object" && from !== null ? (from as Record<string, unknown>)[key] : undefined;
  return typeof v === "string" || typeof v === "number" ? String(v) : undefined;
}

/** Picks the named fields of an input or answer that are plain values (for a detail). */
export function pick(from: unknown, ...keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof from !== "object" || from === null) return out;
  for (const k of keys) {
    const v = (from as Record<string, unknown>)[k];
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = v;
  }
  return out;
}
