// Provenance overhead: records/s of generate → map → kafka-sink with the provenance recorder on
// vs off, each run in a fresh engine (in this process) and a fresh database.
//
//   KAFKA_BROKERS=127.0.0.1:9092 TEST_DATABASE_URL=postgres://postgres@127.0.0.1:55432/postgres \
//     node --import tsx bench/micro/provenance-overhead.bench.ts [records=100000] [rounds=3] [fused]
//
// Prints one line per run and the median per mode. Not part of the test suites.
import { createTestDatabase, freePort, testBrokers } from "../../packages/testkit/src/index.js";
import { createCallerFactory } from "../../apps/engine/src/api/trpc.js";
import { appRouter } from "../../apps/engine/src/api/router.js";
import { startEngine } from "../../apps/engine/src/engine.js";
import { flowDoc, uid } from "../../apps/engine/test-support/index.js";

const RECORDS = Number(process.argv[2] ?? 100_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const FUSED = process.argv.includes("fused");
const brokers = testBrokers();

async function run(provenance: boolean): Promise<{ rps: number; seconds: number; drainMs: number; rows: number; dropped: number; cpuUsPerRecord: number }> {
  process.env.MILLRACE_PROVENANCE = provenance ? "on" : "off";
  const db = await createTestDatabase("bench");
  const engine = await startEngine({ host: "127.0.0.1", port: await freePort(), databaseUrl: db.url, kafkaBrokers: brokers, engineId: uid("bench") });
  const api = createCallerFactory(appRouter)({ services: engine.services });
  const id = uid("ovh");
  const sink = uid("ovh-sink");
  const mode = FUSED ? "fused" : undefined;
  const doc = flowDoc(
    id,
    [
      ["gen", "generate", { count: RECORDS, ratePerSec: 0, template: '{ "id": $i, "amount": $i % 1000, "customer": "c" & $string($i % 97) }' }],
      ["shape", "map", { expression: '{ "id": value.id, "total": value.amount * 1.19, "customer": value.customer }' }],
      ["out", "kafka-sink", { topic: sink }],
    ],
    [["gen", "success", "shape", mode], ["shape", "success", "out", mode]],
  );
  try {
    await engine.services.kafka!.ensureTopics([{ topic: sink, partitions: 3 }]);
    await api.flows.save({ document: doc });
    const t0 = Date.now();
    const c0 = process.cpuUsage();
    await api.deployments.deploy({ flowId: id });
    for (;;) {
      const ends = await engine.services.kafka!.topicEndOffsets(sink);
      if (ends.reduce((s, p) => s + p.high, 0) >= RECORDS) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = (Date.now() - t0) / 1000;
    const d0 = Date.now();
    await engine.services.provenance?.recorder?.drain(120_000);
    const drainMs = Date.now() - d0;
    const c = process.cpuUsage(c0);
    const cpuUsPerRecord = (c.user + c.system) / RECORDS;
    const s = engine.services.provenance?.recorder?.snapshot();
    await api.deployments.stop({ flowId: id });
    return { rps: RECORDS / seconds, seconds, drainMs, rows: s?.rows ?? 0, dropped: s?.droppedRecords ?? 0, cpuUsPerRecord };
  } finally {
    await engine.close();
    await engine.services.kafka?.deleteTopics([sink, `mr.${id}.gen.success`, `mr.${id}.shape.success`, `mr-dlq.${id}`]).catch(() => {});
    await db.drop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const res: Record<string, number[]> = { on: [], off: [] };
const cpu: Record<string, number[]> = { on: [], off: [] };
for (let r = 0; r < ROUNDS; r++) {
  for (const on of r % 2 ? [true, false] : [false, true]) {
    const x = await run(on);
    res[on ? "on" : "off"]!.push(x.rps);
    cpu[on ? "on" : "off"]!.push(x.cpuUsPerRecord);
    console.log(`${on ? "provenance on " : "provenance off"}: ${RECORDS} records in ${x.seconds.toFixed(2)} s = ${Math.round(x.rps)} rec/s, engine CPU ${x.cpuUsPerRecord.toFixed(1)} µs/record; provenance rows ${x.rows}, dropped ${x.dropped}, drained ${x.drainMs} ms after the sink had everything`);
  }
}
const on = median(res.on!);
const off = median(res.off!);
console.log(`median: off ${Math.round(off)} rec/s, on ${Math.round(on)} rec/s → overhead ${(((off - on) / off) * 100).toFixed(1)}%${FUSED ? " (fused)" : ""}`);
const cOn = median(cpu.on!);
const cOff = median(cpu.off!);
console.log(`engine CPU per record (median): off ${cOff.toFixed(1)} µs, on ${cOn.toFixed(1)} µs → +${(((cOn - cOff) / cOff) * 100).toFixed(1)}% engine CPU`);
process.exit(0);
