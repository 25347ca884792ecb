/** A plain kafkajs consumer for checking what a flow really wrote (KAFKA_BROKERS is set for tests). */
import { Kafka, logLevel } from "kafkajs";

export interface ReadRecord {
  key: string | null;
  value: unknown;
  headers: Record<string, string>;
}

function client(): Kafka {
  return new Kafka({ clientId: "millrace-e2e", brokers: brokers(), logLevel: logLevel.NOTHING });
}

/** Creates `topic` with `partitions` and waits for its leaders. */
export async function createTopic(topic: string, partitions = 2): Promise<void> {
  const admin = client().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Writes records to `topic`: values JSON-encoded, keys as given (none: no message key). */
export async function produce(topic: string, records: { key?: string; value: unknown }[]): Promise<void> {
  const producer = client().producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages: records.map((r) => ({ ...(r.key === undefined ? {} : { key: r.key }), value: JSON.stringify(r.value) })) });
  } finally {
    await producer.disconnect();
  }
}

function brokers(): string[] {
  const b = process.env.KAFKA_BROKERS;
  if (!b) throw new Error("KAFKA_BROKERS is not set");
  return b.split(",");
}

/**
 * Reads `topic` from the beginning until `expected` records arrived and no more came for
 * `quietMs` (to catch extra ones), or `timeoutMs` passed. Uses a throw-away group.
 */
export async function readTopic(topic: string, opts: { expected: number; timeoutMs?: number; quietMs?: number }): Promise<ReadRecord[]> {
  const consumer = client().consumer({ groupId: `e2e-check-${Date.now()}-${Math.random().toString(36).slice(2)}` });
  const out: ReadRecord[] = [];
  let last = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(v);
        const text = message.value?.toString() ?? "null";
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          value = text;
        }
        out.push({ key: message.key?.toString() ?? null, value, headers });
        last = Date.now();
      },
    });
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    const quiet = opts.quietMs ?? 1500;
    while (Date.now() < deadline) {
      if (out.length >= opts.expected && Date.now() - last >= quiet) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await consumer.disconnect();
  }
  return out;
}
