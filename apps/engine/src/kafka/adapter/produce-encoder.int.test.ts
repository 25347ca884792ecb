// The fast Produce encoder and Fetch decoder (./produce-encoder.ts, ./fetch-decoder.ts, installed by
// ./install.ts) against the REAL broker at KAFKA_BROKERS: the broker checks every batch's CRC and
// layout, and a consumer reads back the same keys, values, headers and timestamps, for plain,
// idempotent and transactional producers.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBrokers, waitFor } from "@millrace/testkit";
import { createKafka } from "../index.js";
import type { InMessage, KafkaClient, OutMessage } from "../index.js";
import { fetchDecoderStats } from "./fetch-decoder.js";
import { installKafkajsAdaptations } from "./install.js";
import { produceEncoderStats } from "./produce-encoder.js";

const uniq = (p: string) => `${p}-${randomBytes(4).toString("hex")}`;

let kafka: KafkaClient;
const topics: string[] = [];
const groups: string[] = [];

beforeAll(() => {
  kafka = createKafka({ brokers: testBrokers(), clientId: "millrace-int-encoder" });
});

afterAll(async () => {
  await kafka.deleteTopics(topics).catch(() => {});
  await kafka.deleteGroups(groups).catch(() => {});
  await kafka.close();
});

/** n messages over `partitions` partitions: string/Buffer/null keys and values, string/Buffer/repeated headers, some timestamps, one large value */
function messages(n: number, partitions: number, tag: string): OutMessage[] {
  return Array.from({ length: n }, (_, i) => {
    const m: OutMessage = {
      partition: i % partitions,
      key: i % 5 === 0 ? null : i % 5 === 1 ? Buffer.from([0, i & 0xff, 0xff]) : `key-${tag}-${i}-ключ`,
      value: i === 7 ? randomBytes(300_000) : i % 9 === 0 ? null : i % 2 ? Buffer.from(JSON.stringify({ i, tag })) : `välue-${i}-😀`,
    };
    if (i % 4 !== 3) {
      m.headers = { "millrace-id": `${tag}-${i}`, bin: Buffer.from([i & 0xff, 0, 255]) };
      if (i % 3 === 0) (m.headers as Record<string, unknown>).multi = ["a", Buffer.from("b"), "ç"];
    }
    if (i % 6 === 0) m.timestamp = String(1_700_000_000_000 + i);
    return m;
  });
}

const buf = (v: Buffer | string | null | undefined) => (v === null || v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(v));

/** what a consumer must read back for `m` (kafkajs gives header values as Buffers, repeated keys as arrays) */
function expected(m: OutMessage) {
  const headers: Record<string, Buffer | Buffer[]> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = Array.isArray(v) ? v.map((x) => buf(x)!) : buf(v)!;
  return { key: buf(m.key), value: buf(m.value), headers, ...(m.timestamp ? { timestamp: m.timestamp } : {}) };
}

function actual(m: InMessage, withTimestamp: boolean) {
  return { key: m.key, value: m.value, headers: m.headers, ...(withTimestamp ? { timestamp: m.timestamp } : {}) };
}

async function readBack(topic: string, count: number, readUncommitted = false): Promise<Map<number, InMessage[]>> {
  const groupId = uniq("g-enc");
  groups.push(groupId);
  const c = kafka.consumer({ groupId, readUncommitted });
  const byPartition = new Map<number, InMessage[]>();
  let seen = 0;
  const fastBefore = fetchDecoderStats.fast;
  await c.connect();
  try {
    await c.subscribe({ topics: [topic], fromBeginning: true });
    await c.run({
      eachBatch: async ({ batch }) => {
        const l = byPartition.get(batch.partition) ?? [];
        l.push(...batch.messages);
        byPartition.set(batch.partition, l);
        seen += batch.messages.length;
      },
    });
    await waitFor(() => seen >= count, 30_000, `${count} messages on ${topic}`);
    await new Promise((r) => setTimeout(r, 300)); // nothing more arrives
    expect(seen).toBe(count);
    expect(fetchDecoderStats.fast).toBeGreaterThan(fastBefore);
    return byPartition;
  } finally {
    await c.disconnect();
  }
}

function compare(sent: OutMessage[], got: Map<number, InMessage[]>, partitions: number, startedAt: number): void {
  for (let p = 0; p < partitions; p++) {
    const want = sent.filter((m) => m.partition === p);
    const have = got.get(p) ?? [];
    expect(have.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) {
      expect(actual(have[i]!, !!want[i]!.timestamp)).toEqual(expected(want[i]!));
      if (!want[i]!.timestamp) expect(Number(have[i]!.timestamp)).toBeGreaterThanOrEqual(startedAt - 1000);
    }
  }
}

describe("fast Produce encoder against the real broker", () => {
  it("is installed", () => {
    const active = installKafkajsAdaptations().filter((a) => a.active).map((a) => a.name);
    expect(active).toEqual(expect.arrayContaining(["produce-encoder", "fetch-decoder"]));
  });

  for (const mode of ["plain", "idempotent"] as const) {
    it(`${mode} producer: records read back identical (keys, values, headers, timestamps)`, async () => {
      const topic = uniq(`t-enc-${mode}`);
      topics.push(topic);
      await kafka.ensureTopics([{ topic, partitions: 3 }]);
      const producer = kafka.producer(mode === "idempotent" ? { idempotent: true } : {});
      await producer.connect();
      const startedAt = Date.now();
      const fastBefore = produceEncoderStats.fast;
      const first = messages(400, 3, `${mode}-a`);
      const second = messages(50, 3, `${mode}-b`);
      await producer.send(topic, first);
      await producer.sendBatch([{ topic, messages: second }]); // idempotent: sequences continue
      await producer.disconnect();
      expect(produceEncoderStats.fast - fastBefore).toBeGreaterThanOrEqual(2);
      compare([...first, ...second], await readBack(topic, 450), 3, startedAt);
    });
  }

  it("transactional producer: committed records read back identical, an aborted transaction stays hidden", async () => {
    const topic = uniq("t-enc-tx");
    topics.push(topic);
    await kafka.ensureTopics([{ topic, partitions: 2 }]);
    const producer = kafka.producer({ transactionalId: uniq("tx-enc") });
    await producer.connect();
    const startedAt = Date.now();
    const fastBefore = produceEncoderStats.fast;
    const committed = messages(200, 2, "tx-a");
    let tx = await producer.transaction();
    await tx.send(topic, committed.slice(0, 120));
    await tx.send(topic, committed.slice(120));
    await tx.commit();
    tx = await producer.transaction();
    await tx.send(topic, messages(30, 2, "tx-aborted"));
    await tx.abort();
    const last = messages(20, 2, "tx-b");
    tx = await producer.transaction();
    await tx.send(topic, last);
    await tx.commit();
    await producer.disconnect();
    expect(produceEncoderStats.fast - fastBefore).toBeGreaterThanOrEqual(4);
    compare([...committed, ...last], await readBack(topic, 220), 2, startedAt);
  });
});
