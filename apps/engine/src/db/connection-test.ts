import pg from "pg";
import type { ConnectionTestResult, PostgresConnection } from "@millrace/flow";
import { transportFailure } from "../connections/failures.js";

const CONNECT_MS = 3_000;
const QUERY_MS = 1_500;

/**
 * pg client settings of a connection. The URL's parts give way to the separate fields (pg itself
 * lets the URL win), and sslmode becomes pg's `ssl` option: verify-ca and verify-full check the
 * server's certificate, require only encrypts, prefer is taken as disable (pg cannot fall back).
 */
export function postgresClientConfig(c: PostgresConnection): pg.ClientConfig {
  const config: pg.ClientConfig = { connectionTimeoutMillis: CONNECT_MS, query_timeout: QUERY_MS, application_name: "millrace connection test" };
  if (c.url) {
    const url = new URL(c.url);
    if (c.sslmode) url.searchParams.delete("sslmode");
    config.connectionString = url.toString();
  }
  if (c.host !== undefined) config.host = c.host;
  if (c.port !== undefined) config.port = c.port;
  if (c.database !== undefined) config.database = c.database;
  if (c.user !== undefined) config.user = c.user;
  if (c.password !== undefined) config.password = c.password;
  if (c.sslmode) config.ssl = c.sslmode === "verify-ca" || c.sslmode === "verify-full" ? { rejectUnauthorized: true } : c.sslmode === "require" ? { rejectUnauthorized: false } : false;
  return config;
}

/** Where a connection points, for messages: host:port/database, never the credentials. */
function target(c: PostgresConnection, config: pg.ClientConfig): string {
  const url = c.url ? new URL(c.url) : undefined;
  const host = config.host ?? url?.hostname ?? "localhost";
  const port = config.port ?? (url?.port || 5432);
  const database = config.database ?? url?.pathname.slice(1) ?? "";
  return `${host}:${port}/${database}`;
}

/** Connects and runs SELECT 1. Never throws; the detail names the connection, never a secret. */
export async function testPostgresConnection(c: PostgresConnection): Promise<ConnectionTestResult> {
  const config = postgresClientConfig(c);
  const where = `connection "${c.name}" (${target(c, config)})`;
  const client = new pg.Client(config);
  // an error after the test (the server closing the idle socket) must not reach the process
  client.on("error", () => {});
  try {
    await client.connect();
    const r = await client.query<{ version: string }>("SELECT 1, current_setting('server_version') AS version");
    return { ok: true, detail: `${where}: PostgreSQL ${r.rows[0]?.version ?? "?"} answered` };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const message = e instanceof Error ? e.message : String(e);
    const user = config.user ?? (c.url ? decodeURIComponent(new URL(c.url).username) : "");
    if (code === "28P01") return { ok: false, reason: "wrong-credentials", detail: `${where}: password authentication failed for user "${user}"` };
    if (code === "28000" || code === "42501") return { ok: false, reason: "not-authorized", detail: `${where}: ${message}` };
    if (code === "3D000") return { ok: false, reason: "invalid", detail: `${where}: ${message}` };
    const transport = transportFailure(e);
    if (transport) return { ok: false, reason: transport, detail: `${where}: ${message}` };
    if (/timeout/i.test(message)) return { ok: false, reason: "timeout", detail: `${where}: no answer within ${CONNECT_MS} ms` };
    return { ok: false, reason: "unreachable", detail: `${where}: ${message}` };
  } finally {
    await client.end().catch(() => {});
  }
}
