// Count by key on the real broker, with the engine killed -9 mid-run and a new engine process
// restoring the counts from the changelog: exact in exactly-once mode, never fewer at least once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import kafkajs from "kafkajs";
import { createTestDatabase, freePort, testBrokers, waitFor } from "@millrace/testkit";
import { flowDoc, range, spawnEngine, uid, type EngineProcess } from "../../test-support/index.js";

const { Kafka, logLevel } = kafkajs;
const TOTAL = 100_000;
const CUSTOMERS = 100;

describe("aggregate: count by key", () => {
  const brokers = testBrokers();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let engine: EngineProcess;
  let port: number;

  beforeAll(async () => {
    db = await createTestDatabase("aggregate");
    port = await freePort();
    engine = await spawnEngine({ port, databaseUrl: db.url, brokers });
  }, 120_000);

  afterAll(async () => {
    await engine?.stop();
    await db?.drop();
  }, 60_000);

  for (const exactlyOnce of [true, false]) {
    it(`counts ${TOTAL.toLocaleString()} records by customer through a kill -9 (${exactlyOnce ? "exactly-once: exact" : "at-least-once: never fewer"})`, async () => {
      const id = uid("count");
      const input = uid("orders");
      const kafka = new Kafka({ clientId: "aggregate-test", brokers, logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: input, numPartitions: 3 }], waitForLeaders: true });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      for (let i = 0; i < TOTAL; i += 5_000) await producer.send({ topic: input, messages: range(i, i + 5_000).map((n) => ({ partition: n % 3, value: JSON.stringify({ n, customer: `c${n % CUSTOMERS}` }) })) });
      await producer.disconnect();

      await engine.api.flows.save.mutate({ document: flowDoc(id, [["in", "kafka-source", { topic: input, fromBeginning: true }], ["counts", "aggregate", { groupBy: "value.customer", op: "count" }]], [["in", "success", "counts"]]) });
      await engine.api.deployments.deploy.mutate({ flowId: id, exactlyOnce });
      await waitFor(async () => ((await engine.api.stats.snapshot.query({ flowId: id })).nodes.counts?.in ?? 0) >= TOTAL / 5, 120_000, "a fifth counted before the kill");
      await engine.kill9();
      engine = await spawnEngine({ port, databaseUrl: db.url, brokers });

      const counts = await waitFor(
        async () => {
          const scan = await engine.api.tables.scan.query({ flowId: id, nodeId: "counts", limit: 1000 });
          const sum = scan.rows.reduce((s, r) => s + (r.value as number), 0);
          return scan.rows.length === CUSTOMERS && sum >= TOTAL ? scan.rows : undefined;
        },
        180_000,
        "every record counted",
      );
      for (const r of counts) {
        if (exactlyOnce) expect(r.value, r.key).toBe(TOTAL / CUSTOMERS);
        else expect(r.value as number, r.key).toBeGreaterThanOrEqual(TOTAL / CUSTOMERS);
      }
      expect((await engine.api.tables.get.query({ flowId: id, nodeId: "counts", key: "c42" })).value).toBe(exactlyOnce ? TOTAL / CUSTOMERS : (counts.find((r) => r.key === "c42")!.value as number));
      await engine.api.deployments.stop.mutate({ flowId: id });
    }, 420_000);
  }
});
