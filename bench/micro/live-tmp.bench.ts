// B7's count-by-key flow in this process: kafka-source → aggregate (count) → kafka-sink over
// preloaded records, engine CPU per record and records/s. For A/B of the stateful path without
// the whole bench (no Kafka Streams, no engine start-up in the figure).
//
//   KAFKA_BROKERS=127.0.0.1:9092 TEST_DATABASE_URL=postgres://postgres@127.0.0.1:55432/postgres \
//     node --import tsx bench/micro/count-stage.bench.ts [records=300000] [rounds=3]
//
// HEAP_SAMPLE=FILE also samples what the run allocates (objects collected since included), reports
// bytes allocated per record and writes the last round's sampling heap profile to FILE.
//
// Not part of the test suites.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
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
    const sampler = process.env.HEAP_SAMPLE ? await startHeapSampling() : undefined;
    const t0 = Date.now();
    const c0 = process.cpuUsage();
    await api.deployments.deploy({ flowId: id, exactlyOnce: false });
    for (;;) {
      if (sampler && Date.now() - t0 > 2500 && !(globalThis as any).__stopped) { (globalThis as any).__stopped = 1; const b = await sampler.stop(process.env.HEAP_SAMPLE!); console.log("live sampled", b); }
      const ends = await engine.services.kafka!.topicEndOffsets(sink);
      if (ends.reduce((s, p) => s + p.high, 0) >= RECORDS) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (Date.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    if (false) {
      const bytes = await sampler.stop(process.env.HEAP_SAMPLE!);
      console.log(`allocated ~${Math.round(bytes / RECORDS)} bytes/record (sampled)`);
    }
    await api.deployments.stop({ flowId: id });
    return { rps: RECORDS / seconds, cpuUsPerRecord: (c.user + c.system) / RECORDS };
  } finally {
    await engine.close();
    await engine.services.kafka?.deleteTopics([sink, `mr.${id}.counts.changelog`, `mr-dlq.${id}`]).catch(() => {});
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** V8's sampling heap profiler, counting objects the GC has collected since too: what the run allocated. */
async function startHeapSampling(): Promise<{ stop(file: string): Promise<number> }> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (e, r) => (e ? reject(e) : resolve(r))));
  await post("HeapProfiler.enable");
  await post("HeapProfiler.startSampling", { samplingInterval: 4096, includeObjectsCollectedByMajorGC: false, includeObjectsCollectedByMinorGC: false });
  return {
    async stop(file) {
      const { profile } = (await post("HeapProfiler.stopSampling")) as { profile: { head: HeapNode } };
      session.disconnect();
      writeFileSync(file, JSON.stringify(profile));
      const sum = (n: HeapNode): number => n.selfSize + n.children.reduce((s, c) => s + sum(c), 0);
      return sum(profile.head);
    },
  };
}
interface HeapNode {
  selfSize: number;
  children: HeapNode[];
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
