// Micro-benchmark: CPU per record of kafkajs's Produce encoding and Fetch decoding vs the fast
// replacements (apps/engine/src/kafka/adapter/produce-encoder.ts, fetch-decoder.ts). Engine-like
// records: ~200-byte JSON values as Buffers, two string headers (record id, parent id), no key, no
// timestamp.
//   node --import tsx bench/micro/codec.bench.ts [rounds]
// CPU time (process.cpuUsage), A/B alternated per round: other load on the machine shows as noise
// in both columns, not as a bias.
import { createRequire } from "node:module";
import { tryDecodeRecordBatch } from "../../apps/engine/src/kafka/adapter/fetch-decoder.js";
import { originalRecordBatchDecoder } from "../../apps/engine/src/kafka/adapter/install.js";
import { encodeProduceRequest, type ProduceArgs } from "../../apps/engine/src/kafka/adapter/produce-encoder.js";
import { originalProduceRequestV3 } from "../../apps/engine/src/kafka/adapter/produce-request.js";

const require = createRequire(import.meta.url);
const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0/index.js") as { RecordBatch: (a: object) => Promise<{ buffer: Buffer }> };
const Record = require("kafkajs/src/protocol/recordBatch/record/v0/index.js") as (a: object) => unknown;
const Decoder = require("kafkajs/src/protocol/decoder.js") as new (b: Buffer) => { buffer: Buffer; offset: number; canReadBytes(n: number): boolean };

const PER_PARTITION = 1000;
const PARTITIONS = 3;
const RECORDS = PER_PARTITION * PARTITIONS;
const rounds = Number(process.argv[2] ?? 5);

const id = () => Math.random().toString(36).slice(2, 14) + Math.random().toString(36).slice(2, 14);
const message = (i: number) => ({
  value: Buffer.from(JSON.stringify({ id: i, ts: 1795000000000 + i, amount: i * 2, total: i * 2.38, customer: `customer-${i % 1000}`, country: "DE", note: "x".repeat(80) })),
  headers: { "millrace-id": id(), "millrace-parents": id() },
});
const args: ProduceArgs = {
  acks: -1,
  timeout: 30_000,
  topicData: [{ topic: "millrace-edge-b1-filter-map", partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, messages: Array.from({ length: PER_PARTITION }, (_, i) => message(i)) })) }],
};

// a fetch payload: PARTITIONS batches of PER_PARTITION records, as the broker returns them
const batches: Buffer[] = [];
for (let p = 0; p < PARTITIONS; p++) {
  const records = args.topicData[0]!.partitions[p]!.messages.map((m, i) => Record({ ...m, offsetDelta: i, timestampDelta: 0 }));
  batches.push((await RecordBatch({ records, firstOffset: String(p * 1_000_000), firstTimestamp: 1795000000000, maxTimestamp: 1795000000000, lastOffsetDelta: records.length - 1 })).buffer);
}

async function cpu(n: number, f: () => unknown): Promise<number> {
  const t = process.cpuUsage();
  for (let i = 0; i < n; i++) await f();
  const u = process.cpuUsage(t);
  return (u.user + u.system) / n / RECORDS; // µs per record
}

const cases: [string, () => unknown, () => unknown][] = [
  ["produce encode", async () => (await originalProduceRequestV3(args).encode()).buffer, () => encodeProduceRequest(args)],
  [
    "fetch decode",
    async () => {
      for (const b of batches) await originalRecordBatchDecoder(new Decoder(b));
    },
    () => {
      for (const b of batches) if (!tryDecodeRecordBatch(new Decoder(b))) throw new Error("declined");
    },
  ],
];
console.log(`${RECORDS} records per call (${PARTITIONS} partitions × ${PER_PARTITION}), ${batches[0]!.length} bytes per batch; µs CPU per record (GC included)`);
for (const [name, kafkajs, fast] of cases) {
  await cpu(20, kafkajs); // warm up
  await cpu(20, fast);
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    a.push(await cpu(30, kafkajs));
    b.push(await cpu(30, fast));
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
  console.log(`${name.padEnd(15)} kafkajs ${median(a).toFixed(3)} µs  fast ${median(b).toFixed(3)} µs  (${(median(a) / median(b)).toFixed(1)}× less CPU)  [rounds: ${a.map((x) => x.toFixed(2)).join(" ")} | ${b.map((x) => x.toFixed(2)).join(" ")}]`);
}
