/** Postgres helpers shared by postgres-poll and postgres-sink (node side). */

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
