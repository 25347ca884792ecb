// B7's count-by-key flow in this process: kafka-source → aggregate (count) → kafka-sink over
// preloaded records, engine CPU per record and records/s. For A/B of the stateful path without
// the whole bench (no Kafka Streams, no engine start-up in the figure).
//
//   KAFKA_BROKERS=127.0.0.1:9092 TEST_DATABASE_URL=postgres://postgres@127.0.0.1:55432/postgres \
//     node --import tsx bench/micro/count-stage.bench.ts [records=300000] [rounds=3]
//
// Not part of the test suites.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, freePort, testBrokers } from "../../packages/testkit/src/index.js";
import { createCallerFactory } from "../../apps/engine/src/api/trpc.js";
import { appRouter } from "../../apps/engine/src/api/router.js";
import { startEngine } from "../../apps/engine/src/engine.js";
import { createKafka } from "../../apps/engine/src/kafka/index.js";
import { ADMIN, flowDoc, uid } from "../../apps/engine/test-support/index.js";

const RECORDS = Number(process.argv[2] ?? 300_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const KEYS = 100_000;
const brokers = testBrokers();

async function preload(topic: string): Promise<void> {
  const kafka = createKafka({ brokers, clientId: uid("preload") });
  await kafka.ensureTopics([{ topic, partitions: 3 }]);
  const producer = kafka.producer({});
  await producer.connect();
  const value = JSON.stringify({ amount: 42, note: "x".repeat(120) });
  for (let i = 0; i < RECORDS; i += 10_000) {
    const batch = [];
    for (let j = i; j < Math.min(RECORDS, i + 10_000); j++) batch.push({ key: `customer-${j % KEYS}`, value });
    await producer.send(topic, batch);
  }
  await producer.disconnect();
  await kafka.close();
}

async function run(input: string): Promise<{ rps: number; cpuUsPerRecord: number }> {
  const db = await createTestDatabase("countbench");
  const dataDir = mkdtempSync(join(tmpdir(), "mr-count-"));
  const engine = await startEngine({ host: "127.0.0.1", port: await freePort(), databaseUrl: db.url, kafkaBrokers: brokers, engineId: uid("bench"), stateDir: dataDir });
  const api = createCallerFactory(appRouter)({ services: engine.services, principal: ADMIN });
  const id = uid("count");
  const sink = uid("count-out");
  try {
    await engine.services.kafka!.ensureTopics([{ topic: sink, partitions: 3 }]);
    await api.flows.save({
      document: flowDoc(
        id,
        [
          ["src", "kafka-source", { topic: input, fromBeginning: true }],
          ["counts", "aggregate", { op: "count" }],
          ["out", "kafka-sink", { topic: sink }],
        ],
        [["src", "success", "counts"], ["counts", "success", "out"]],
      ),
    });
    const t0 = Date.now();
    const c0 = process.cpuUsage();
    await api.deployments.deploy({ flowId: id, exactlyOnce: false });
    for (;;) {
      const ends = await engine.services.kafka!.topicEndOffsets(sink);
      if (ends.reduce((s, p) => s + p.high, 0) >= RECORDS) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = (Date.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    await api.deployments.stop({ flowId: id });
    return { rps: RECORDS / seconds, cpuUsPerRecord: (c.user + c.system) / RECORDS };
  } finally {
    await engine.close();
    await engine.services.kafka?.deleteTopics([sink, `mr.${id}.counts.changelog`, `mr-dlq.${id}`]).catch(() => {});
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const input = uid("count-in");
await preload(input);
const rps: number[] = [];
const cpu: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const x = await run(input);
  rps.push(x.rps);
  cpu.push(x.cpuUsPerRecord);
  console.log(`round ${r + 1}: ${RECORDS} records, ${Math.round(x.rps)} rec/s, engine CPU ${x.cpuUsPerRecord.toFixed(2)} µs/record`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`median: ${Math.round(median(rps))} rec/s, ${median(cpu).toFixed(2)} µs/record`);
const admin = createKafka({ brokers, clientId: uid("cleanup") });
await admin.deleteTopics([input]).catch(() => {});
await admin.close();
process.exit(0);
