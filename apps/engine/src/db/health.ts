import pg from "pg";
import { query, sql } from "./sql.js";

/**
 * The server version, over a fresh session rather than a pooled one: the check must show that a
 * new connection can be made now. Rejects when Postgres does not answer within `timeoutMs`.
 */
export async function postgresServerVersion(url: string, timeoutMs: number): Promise<string | undefined> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await within(c.connect(), timeoutMs);
    const r = await within(query<{ v: string }>(c, sql`SELECT current_setting('server_version') AS v`), timeoutMs);
    return r.rows[0]?.v;
  } finally {
    c.end().catch(() => {});
  }
}

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Postgres did not answer within ${ms} ms`)), ms);
    }),
  ]);
}
