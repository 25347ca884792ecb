import { Kafka, type SASLOptions } from "kafkajs";
import type { ConnectionTestResult, KafkaConnection } from "@millrace/flow";
import { transportFailure } from "../connections/failures.js";
import { engineKafkaLogger, quietLogCreator } from "./log.js";

/** Within the five seconds a test has: one attempt per broker, no retries. */
const CONNECT_MS = 2_000;
const REQUEST_MS = 3_000;

/** The kafkajs client options of a connection: its brokers, SASL and TLS settings. */
export function kafkaSecurity(c: KafkaConnection): { ssl?: object | boolean; sasl?: SASLOptions } {
  const out: { ssl?: object | boolean; sasl?: SASLOptions } = {};
  if (c.tls) {
    const { ca, cert, key, rejectUnauthorized } = c.tls;
    out.ssl = { rejectUnauthorized, ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  }
  if (c.sasl) out.sasl = { mechanism: c.sasl.mechanism, username: c.sasl.username, password: c.sasl.password } as SASLOptions;
  return out;
}

/**
 * Connects to the cluster as the connection says and asks for what every Kafka processor needs:
 * the cluster's brokers and its topics. Never throws; the answer's detail names the connection
 * (and the SASL mechanism when the credentials are refused), never a secret.
 */
export async function testKafkaConnection(c: KafkaConnection): Promise<ConnectionTestResult> {
  const kafka = new Kafka({
    clientId: `millrace-connection-test-${c.name}`,
    brokers: c.brokers,
    connectionTimeout: CONNECT_MS,
    requestTimeout: REQUEST_MS,
    retry: { retries: 0 },
    logCreator: quietLogCreator(engineKafkaLogger, "nothing"),
    ...kafkaSecurity(c),
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    const topics = await admin.listTopics();
    // an authorizer lets anyone in and hides the topics a user may not describe: say so rather than "0 topics"
    const visible = topics.length === 0 && c.sasl ? `no topic visible to user "${c.sasl.username}" (no DESCRIBE ACL on any topic yet?)` : `${topics.length} topic(s) visible`;
    return { ok: true, detail: `connection "${c.name}": cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s), ${visible}` };
  } catch (e) {
    return kafkaFailure(c, e);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** What went wrong talking to a connection's cluster, for a person: names the connection (and the SASL mechanism when the credentials are refused), never a secret. */
export function kafkaConnectionFailure(c: KafkaConnection, e: unknown): string {
  const r = kafkaFailure(c, e);
  return r.ok ? `connection "${c.name}"` : r.detail;
}

/** Whether a produce failed because the user may not write (or describe) the topic. */
export function isTopicAuthorizationError(e: unknown): boolean {
  return authorizationFailure(e) === "TOPIC_AUTHORIZATION_FAILED";
}

/** The Kafka error type when a request was refused by an ACL (TOPIC_, GROUP_, CLUSTER_…AUTHORIZATION_FAILED), else undefined. */
export function authorizationFailure(e: unknown): string | undefined {
  for (let at = e, depth = 0; typeof at === "object" && at !== null && depth < 6; depth++) {
    const { type, errors, cause } = at as { type?: unknown; errors?: unknown; cause?: unknown };
    if (typeof type === "string" && type.endsWith("_AUTHORIZATION_FAILED")) return type;
    // kafkajs gathers a request's per-broker failures in an aggregate error
    if (Array.isArray(errors))
      for (const inner of errors) {
        const found = authorizationFailure(inner);
        if (found) return found;
      }
    at = cause;
  }
  return undefined;
}

function kafkaFailure(c: KafkaConnection, e: unknown): ConnectionTestResult {
  const name = (e as { name?: string }).name ?? "";
  const message = e instanceof Error ? e.message : String(e);
  const inner = innermost(e);
  const innerName = (inner as { name?: string }).name ?? "";
  const innerType = (inner as { type?: string }).type ?? "";
  const who = `connection "${c.name}"`;
  if (name === "KafkaJSSASLAuthenticationError" || innerName === "KafkaJSSASLAuthenticationError") {
    return { ok: false, reason: "wrong-credentials", detail: `${who}: SASL ${c.sasl?.mechanism ?? ""} authentication as "${c.sasl?.username ?? ""}" was refused: wrong username or password, or this mechanism is not enabled for the user` };
  }
  if (innerType === "ILLEGAL_SASL_STATE" || innerType === "UNSUPPORTED_SASL_MECHANISM") {
    const wanted = c.sasl ? `SASL ${c.sasl.mechanism}` : "SASL";
    return { ok: false, reason: "invalid", detail: `${who}: ${c.brokers.join(", ")} does not take ${wanted} (${message}): check the port (another listener?) and the mechanisms the broker enables` };
  }
  if (/AUTHORIZATION_FAILED/.test(innerType) || /not authorized/i.test(message)) {
    return { ok: false, reason: "not-authorized", detail: `${who}: the broker refused ${c.sasl ? `user "${c.sasl.username}"` : "this client"} (${innerType || message}): an ACL must allow it to describe the cluster and its topics` };
  }
  const transport = transportFailure(e);
  if (transport === "tls-mismatch") return { ok: false, reason: transport, detail: `${who}: TLS handshake with ${c.brokers.join(", ")} failed (${message}): check tls.ca, or whether the listener speaks TLS at all` };
  if (transport === "unreachable" || name === "KafkaJSConnectionError" || innerName === "KafkaJSConnectionError") {
    return { ok: false, reason: "unreachable", detail: `${who}: cannot reach ${c.brokers.join(", ")} (${message})` };
  }
  if (/timeout|timed out/i.test(message)) return { ok: false, reason: "timeout", detail: `${who}: no answer from ${c.brokers.join(", ")} within ${REQUEST_MS} ms (${message})` };
  // a SASL handshake against a listener without SASL (or the reverse) ends in a closed connection
  return { ok: false, reason: "unreachable", detail: `${who}: ${message}` };
}

function innermost(e: unknown): unknown {
  let at = e;
  for (let depth = 0; depth < 5; depth++) {
    const cause = (at as { cause?: unknown } | null)?.cause;
    if (typeof cause !== "object" || cause === null) break;
    at = cause;
  }
  return at;
}
