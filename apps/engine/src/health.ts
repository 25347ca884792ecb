import { createKafka, kafkaClientInfo, type KafkaClient, type KafkaClientInfo } from "./kafka/index.js";
import { postgresServerVersion } from "./db/index.js";
import { withTimeout } from "./timeout.js";

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
  ok: boolean;
  kafka: KafkaCheck;
  postgres: Check;
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
  return { ok: kafka.ok && postgres.ok, kafka, postgres };
}
