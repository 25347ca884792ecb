import pg from "pg";
import { withTimeout } from "../timeout.js";
import { query, sql } from "./sql.js";

/**
 * The server version, over a fresh session rather than a pooled one: the check must show that a
 * new connection can be made now. Rejects when Postgres does not answer within `timeoutMs`.
 */
export async function postgresServerVersion(url: string, timeoutMs: number): Promise<string | undefined> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await withTimeout(c.connect(), timeoutMs, "Postgres");
    const r = await withTimeout(query<{ v: string }>(c, sql`SELECT current_setting('server_version') AS v`), timeoutMs, "Postgres");
    return r.rows[0]?.v;
  } finally {
    c.end().catch(() => {});
  }
}
