import { createKafka, kafkaClientInfo, type KafkaClient, type KafkaClientInfo } from "./kafka/index.js";
import { postgresServerVersion } from "./db/index.js";
import { withTimeout } from "./timeout.js";
import type { DiskStatus } from "./disk-guard/index.js";
import type { EmbeddedPostgresStatus } from "./embedded-postgres/index.js";

export interface Check {
  ok: boolean;
  error?: string;
  detail?: string;
}

/** Kafka's check also names the client library and what the engine changed in it. */
export interface KafkaCheck extends Check {
  client: KafkaClientInfo;
}

export interface Health {
  /** false when Kafka or Postgres is unreachable (/healthz answers 503) */
  ok: boolean;
  /** degraded: the engine answers but holds its sources (disk space low) */
  status: "ok" | "degraded" | "down";
  kafka: KafkaCheck;
  postgres: Check;
  /** the disk guard's paths (absent when nothing is watched) */
  disk?: DiskCheck;
  /** the Postgres process `pnpm start` runs beside the engine (absent with DATABASE_URL) */
  embeddedPostgres?: EmbeddedPostgresStatus;
}

export interface DiskCheck extends DiskStatus {
  ok: boolean;
  error?: string;
}

export async function checkPostgres(url: string, timeoutMs = 3000): Promise<Check> {
  try {
    return { ok: true, detail: `Postgres ${await postgresServerVersion(url, timeoutMs)}` };
  } catch (e) {
    return { ok: false, error: `Postgres unreachable at ${redactUrl(url)}: ${(e as Error).message || String(e)}` };
  }
}

export async function checkKafka(brokers: string[], timeoutMs = 3000): Promise<KafkaCheck> {
  const client = kafkaClientInfo();
  let kafka: KafkaClient | undefined;
  try {
    kafka = createKafka({ clientId: "millrace-health", brokers, connectionTimeout: timeoutMs, requestTimeout: timeoutMs, retries: 0, logLevel: "nothing" });
    // connecting and asking, each bounded by timeoutMs
    const c = await withTimeout(kafka.describeCluster(), 2 * timeoutMs, "Kafka");
    return { ok: true, detail: `${c.brokers.length} broker(s), controller ${c.controller}`, client };
  } catch (e) {
    return { ok: false, error: `Kafka unreachable at ${brokers.join(",")}: ${(e as Error).message || String(e)}`, client };
  } finally {
    kafka?.close().catch(() => {});
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
  const ok = kafka.ok && postgres.ok;
  return { ok, status: ok ? "ok" : "down", kafka, postgres };
}

/** Adds the disk guard's verdict: low disk degrades the engine (its sources wait) without taking it out of service. */
export function withDiskCheck(health: Health, disk: DiskStatus | undefined): Health {
  if (!disk) return health;
  const low = disk.paths.filter((p) => p.low);
  const check: DiskCheck = { ok: !disk.low, ...disk };
  if (disk.low) check.error = `free space low on ${low.map((p) => p.path).join(", ")}: sources paused until there is room again`;
  return { ...health, status: health.ok && disk.low ? "degraded" : health.status, disk: check };
}

/** Adds the embedded Postgres process's state: whether it is down already shows in the postgres check. */
export function withEmbeddedPostgres(health: Health, status: EmbeddedPostgresStatus): Health {
  return { ...health, embeddedPostgres: status };
}
