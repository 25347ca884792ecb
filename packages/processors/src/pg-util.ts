/** Postgres helpers shared by postgres-poll and postgres-sink (node side). */
import type pg from "pg";
import type { ProcessorContext } from "./sdk.js";

/**
 * Where a postgres node connects: the connection its `connection` field names (opened by the
 * runtime) or its own connection string; `secrets` are what its messages must never show.
 */
export function pgTarget(connectionString: string | undefined, ctx: ProcessorContext): { config: pg.ClientConfig; secrets: string[] } {
  const application_name = `millrace:${ctx.nodeId}`;
  if (ctx.connection?.type === "postgres") return { config: { ...ctx.connection.client, application_name }, secrets: ctx.connection.secrets };
  if (connectionString === undefined) throw new Error(`node ${ctx.nodeId} has neither a connection string nor a postgres connection`);
  return { config: { connectionString, application_name }, secrets: [connectionString] };
}

/** Quotes one identifier: `a"b` → `"a""b"`; safe for any name. */
export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

/** `schema.table` or `table` → quoted; a dot separates schema and table. */
export function quoteTable(name: string): string {
  const dot = name.indexOf(".");
  if (dot <= 0) return quoteIdent(name);
  return quoteIdent(name.slice(0, dot)) + "." + quoteIdent(name.slice(dot + 1));
}

/**
 * Whether a pg error is about the infrastructure (connection lost, server shutting down,
 * serialization/deadlock) rather than the data: such a batch is retried, not sent to failure.
 */
export function isTransientPgError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !/^[0-9A-Z]{5}$/.test(code)) return true; // socket errors: ECONNREFUSED…
  const cls = code.slice(0, 2);
  return cls === "08" || cls === "53" || cls === "57" || cls === "58" || cls === "40" || code === "XX000";
}

/** A short message of a pg error, with the SQLSTATE and any detail. */
export function pgMessage(e: unknown): string {
  const err = e as { message?: string; code?: string; detail?: string; column?: string };
  let m = err?.message ?? String(e);
  if (err?.detail) m += ` (${err.detail})`;
  if (typeof err?.code === "string" && /^[0-9A-Z]{5}$/.test(err.code)) m += ` [${err.code}]`;
  return m;
}

/** SQLSTATE of a statement cancelled by statement_timeout. */
export const STATEMENT_TIMEOUT = "57014";

/**
 * Runs exactly one statement, read-only, within `statementTimeoutMs`. The extended protocol (a
 * Parse message even without parameters) makes the server refuse text holding several statements,
 * so SQL written into a wrapping query cannot append a second one; the read-only transaction
 * refuses writes, also those hidden in a data-modifying WITH; SET LOCAL ends with the transaction.
 * On an error the transaction is left aborted: the caller drops or rolls back the client.
 */
export async function queryReadOnly<R extends unknown[]>(client: pg.Client, query: { text: string; values: unknown[] }, statementTimeoutMs: number): Promise<pg.QueryArrayResult<R>> {
  await client.query(`BEGIN READ ONLY; SET LOCAL statement_timeout = ${Math.floor(statementTimeoutMs)}`);
  const config = { ...query, rowMode: "array" as const, queryMode: "extended" };
  const res = await client.query<R>(config);
  await client.query("COMMIT");
  return res;
}
