// Against the REAL broker at KAFKA_BROKERS (scripts/test.mjs starts one; or
// `node scripts/kafka.mjs start --port <p> --dir /tmp/k` and export KAFKA_BROKERS).
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBrokers, waitFor } from "@millrace/testkit";
import { createKafka } from "./index.js";
import type { InMessage, KafkaClient, KafkaConsumer } from "./index.js";

const uniq = (p: string) => `${p}-${randomBytes(4).toString("hex")}`;

let kafka: KafkaClient;
const topics: string[] = [];
const groups: string[] = [];

beforeAll(() => {
  kafka = createKafka({ brokers: testBrokers(), clientId: "millrace-int-test" });
});

afterAll(async () => {
  await kafka.deleteTopics(topics).catch(() => {});
  await kafka.deleteGroups(groups).catch(() => {});
  await kafka.close();
});

/** Reads `topic` from the beginning in a fresh group until `done(messages)`; returns them. */
async function readAll(topic: string, opts: { readUncommitted?: boolean; done: (m: InMessage[]) => boolean; settleMs?: number }): Promise<InMessage[]> {
  const groupId = uniq("reader");
  groups.push(groupId);
  const c = kafka.consumer({ groupId, readUncommitted: opts.readUncommitted });
  const seen: InMessage[] = [];
  await c.connect();
  try {
    await c.subscribe({ topics: [topic], fromBeginning: true });
    await c.run({ eachBatch: async ({ batch }) => void seen.push(...batch.messages) });
    await waitFor(() => opts.done(seen), 30_000, `messages on ${topic}`);
    if (opts.settleMs) await new Promise((r) => setTimeout(r, opts.settleMs));
    return [...seen];
  } finally {
    await c.disconnect();
  }
}

describe("Kafka layer against the real broker", () => {
  it("answers describeCluster", async () => {
    const c = await kafka.describeCluster();
    expect(c.brokers.length).toBeGreaterThanOrEqual(1);
    expect(c.clusterId).toBeTruthy();
  });

  it("creates topics idempotently, produces, consumes in a group, commits and reports lag", async () => {
    const topic = uniq("t-basic");
    topics.push(topic);
    expect(await kafka.ensureTopics([{ topic, partitions: 2 }])).toEqual([topic]);
    expect(await kafka.ensureTopics([{ topic, partitions: 2 }])).toEqual([]);
    expect(await kafka.listTopics()).toContain(topic);

    const producer = kafka.producer();
    await producer.connect();
    const sent = await producer.send(
      topic,
      Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ i }), headers: { src: "test" } })),
    );
    expect(sent.length).toBeGreaterThanOrEqual(1);
    await producer.disconnect();

    const ends = await kafka.topicEndOffsets(topic);
    expect(ends.map((e) => e.partition)).toEqual([0, 1]);
    expect(ends.reduce((s, e) => s + e.high - e.low, 0)).toBe(10);

    const groupId = uniq("g-basic");
    groups.push(groupId);
    // no commit yet: lag counts from the low watermark
    const before = await kafka.groupLag(groupId, [topic]);
    expect(before.total).toBe(10);
    expect(before.partitions.every((p) => p.committed === null)).toBe(true);

    const consumer: KafkaConsumer = kafka.consumer({ groupId });
    const got: InMessage[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        got.push(...batch.messages);
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }]);
      },
    });
    await waitFor(() => got.length >= 10, 30_000, "10 messages");
    await consumer.disconnect();

    expect(got.map((m) => JSON.parse(m.value!.toString()).i).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(got[0].headers.src?.toString()).toBe("test");

    const after = await kafka.groupLag(groupId, [topic]);
    expect(after.total).toBe(0);
    for (const p of after.partitions) expect(p.committed).toBe(p.high);
    expect(after.partitions.reduce((s, p) => s + (p.committed ?? 0), 0)).toBe(10);
    expect(await kafka.listGroups()).toContain(groupId);
  });

  it("grows partitions on ensureTopics and deletes topics", async () => {
    const topic = uniq("t-grow");
    await kafka.ensureTopics([{ topic, partitions: 1 }]);
    await kafka.ensureTopics([{ topic, partitions: 3 }]);
    await waitFor(async () => (await kafka.topicEndOffsets(topic)).length === 3, 10_000, "3 partitions");
    await kafka.deleteTopics([topic, uniq("never-existed")]);
    await waitFor(async () => !(await kafka.listTopics()).includes(topic), 10_000, "topic deleted");
  });

  it("commits a transaction with sendOffsets (visible to read_committed) and hides an aborted one", async () => {
    const input = uniq("t-tx-in");
    const output = uniq("t-tx-out");
    topics.push(input, output);
    await kafka.ensureTopics([{ topic: input, partitions: 1 }, { topic: output, partitions: 1 }]);

    const plain = kafka.producer();
    await plain.connect();
    await plain.send(input, Array.from({ length: 5 }, (_, i) => ({ value: `in-${i}` })));
    await plain.disconnect();

    // consume -> transform -> produce, exactly once: offsets go into the transaction
    const groupId = uniq("g-tx");
    groups.push(groupId);
    const txProducer = kafka.producer({ transactionalId: `${input}-0`, idempotent: true, maxInFlightRequests: 1 });
    await txProducer.connect();
    const consumer = kafka.consumer({ groupId });
    let processed = 0;
    await consumer.connect();
    await consumer.subscribe({ topics: [input], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const tx = await txProducer.transaction();
        try {
          await tx.send(output, batch.messages.map((m) => ({ value: `out-${m.value!.toString().slice(3)}` })));
          await tx.sendOffsets(groupId, [{ topic: batch.topic, partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }]);
          await tx.commit();
          processed += batch.messages.length;
        } catch (e) {
          await tx.abort();
          throw e;
        }
      },
    });
    await waitFor(() => processed >= 5, 30_000, "5 input messages processed");
    await consumer.disconnect();

    const lag = await kafka.groupLag(groupId, [input]);
    expect(lag.partitions[0].committed).toBe(5);
    expect(lag.total).toBe(0);

    // an aborted transaction, then one more committed record as a fence to read up to
    const aborted = await txProducer.transaction();
    await aborted.send(output, [{ value: "aborted-1" }, { value: "aborted-2" }]);
    await aborted.abort();
    const fence = await txProducer.transaction();
    await fence.send(output, [{ value: "after-abort" }]);
    await fence.commit();
    await txProducer.disconnect();

    const committed = await readAll(output, { done: (m) => m.some((x) => x.value?.toString() === "after-abort") });
    expect(committed.map((m) => m.value!.toString())).toEqual(["out-0", "out-1", "out-2", "out-3", "out-4", "after-abort"]);

    // the aborted records were really written: read_uncommitted sees them
    const all = await readAll(output, { readUncommitted: true, done: (m) => m.some((x) => x.value?.toString() === "after-abort") });
    expect(all.map((m) => m.value!.toString())).toContain("aborted-1");

    // transaction markers take offsets: 5 + 2 + 1 records, 3 markers
    const [end] = await kafka.topicEndOffsets(output);
    expect(end.high).toBe(11);
  });
});
