import { Kafka, logLevel } from "kafkajs";
import pg from "pg";

export interface Check {
  ok: boolean;
  error?: string;
  detail?: string;
}

export interface Health {
  ok: boolean;
  kafka: Check;
  postgres: Check;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]);
}

export async function checkPostgres(url: string, timeoutMs = 3000): Promise<Check> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await withTimeout(c.connect(), timeoutMs, "Postgres");
    const r = await withTimeout(c.query<{ v: string }>("SELECT current_setting('server_version') AS v"), timeoutMs, "Postgres");
    return { ok: true, detail: `Postgres ${r.rows[0]?.v}` };
  } catch (e) {
    return { ok: false, error: `Postgres unreachable at ${redactUrl(url)}: ${(e as Error).message || String(e)}` };
  } finally {
    c.end().catch(() => {});
  }
}

export async function checkKafka(brokers: string[], timeoutMs = 3000): Promise<Check> {
  const kafka = new Kafka({
    clientId: "millrace-health",
    brokers,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await withTimeout(admin.connect(), timeoutMs, "Kafka");
    const c = await withTimeout(admin.describeCluster(), timeoutMs, "Kafka");
    return { ok: true, detail: `${c.brokers.length} broker(s), controller ${c.controller}` };
  } catch (e) {
    return { ok: false, error: `Kafka unreachable at ${brokers.join(",")}: ${(e as Error).message || String(e)}` };
  } finally {
    admin.disconnect().catch(() => {});
  }
}

/** Hides the password of a connection URL so it can go into messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}

export async function checkHealth(databaseUrl: string, brokers: string[]): Promise<Health> {
  const [kafka, postgres] = await Promise.all([checkKafka(brokers), checkPostgres(databaseUrl)]);
  return { ok: kafka.ok && postgres.ok, kafka, postgres };
}
