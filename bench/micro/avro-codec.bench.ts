// Micro-benchmark: where B1's Avro variant spends its extra CPU. Per record, the engine's own code
// for each place a B1 record is read or written, JSON against Avro (Confluent wire format):
//   source  message → record (JSON.parse keeping the raw bytes / avsc decode)
//   edge    the filter's kept record → edge message (JSON: its raw bytes as read / the decoded value JSON-encoded)
//   sink    the map's output → sink message (JSON.stringify / avsc encode + the 5-byte header)
//   node --import tsx bench/micro/avro-codec.bench.ts [rounds]
// CPU time (process.cpuUsage), JSON and Avro alternated per round.
import { AvroCodec } from "../../apps/engine/src/formats/avro.js";
import { messageDecoder, recordEncoder, SchemaCache } from "../../apps/engine/src/formats/codecs.js";
import type { SchemaStore } from "../../apps/engine/src/formats/schema-store.js";
import type { InMessage } from "../../apps/engine/src/kafka/index.js";
import { decode, encode } from "../../apps/engine/src/runtime/records.js";

// the bench's own schemas and records (plain .mjs without type declarations: imported by URL)
const { B1_INPUT_SCHEMA, B1_OUTPUT_SCHEMA } = (await import(new URL("../lib/avro.mjs", import.meta.url).href)) as { B1_INPUT_SCHEMA: object; B1_OUTPUT_SCHEMA: object };
const { recordValue } = (await import(new URL("../lib/data.mjs", import.meta.url).href)) as { recordValue: (i: number, ts: number) => object };

const RECORDS = 10_000;
const rounds = Number(process.argv[2] ?? 5);
const INPUT_ID = 1;
const OUTPUT_ID = 2;
const ts = 1_795_000_000_000;

const store: SchemaStore = {
  name: "micro",
  byId: async () => JSON.stringify(B1_INPUT_SCHEMA),
  version: () => Promise.reject(new Error("unused")),
  register: () => Promise.reject(new Error("unused")),
  incompatibilities: () => Promise.reject(new Error("unused")),
};
const cache = new SchemaCache(store);
await cache.load([INPUT_ID]);
const avroDecoder = messageDecoder("avro", "string", cache)!;
const avroEncoder = recordEncoder("avro", "string", { id: OUTPUT_ID, codec: new AvroCodec(B1_OUTPUT_SCHEMA) }, undefined)!;

const inputCodec = new AvroCodec(B1_INPUT_SCHEMA);
const header = Buffer.from([0, 0, 0, 0, INPUT_ID]);
const message = (value: Buffer, i: number): InMessage => ({ key: null, value, headers: {}, offset: String(i), timestamp: String(ts) }) as unknown as InMessage;
const jsonMessages = Array.from({ length: RECORDS }, (_, i) => message(Buffer.from(JSON.stringify(recordValue(i, ts))), i));
const avroMessages = Array.from({ length: RECORDS }, (_, i) => message(Buffer.concat([header, inputCodec.encode(recordValue(i, ts))]), i));
const jsonRecords = jsonMessages.map((m) => decode(m));
const avroRecords = avroMessages.map((m) => avroDecoder.decode(m));
const mapped = (r: { value: unknown; headers: Record<string, string> }) => {
  const v = r.value as { id: number; ts: number; amount: number; customer: string };
  return { value: { id: v.id, ts: v.ts, amount: v.amount, total: v.amount * 1.19, customer: v.customer }, headers: r.headers };
};
const outputs = jsonRecords.map(mapped);

function cpu(n: number, f: () => unknown): number {
  const t = process.cpuUsage();
  for (let i = 0; i < n; i++) f();
  const u = process.cpuUsage(t);
  return (u.user + u.system) / n / RECORDS; // µs per record
}

const each =
  <T>(xs: T[], f: (x: T) => unknown) =>
  () => {
    for (const x of xs) f(x);
  };
const cases: [string, () => unknown, () => unknown][] = [
  ["source decode", each(jsonMessages, decode), each(avroMessages, (m) => avroDecoder.decode(m))],
  ["edge write", each(jsonRecords, encode), each(avroRecords, encode)],
  ["sink encode", each(outputs, encode), each(outputs, avroEncoder)],
];
console.log(`${RECORDS} records per call; input ${jsonMessages[0]!.value!.length} bytes JSON, ${avroMessages[0]!.value!.length} bytes Avro; µs CPU per record (GC included)`);
for (const [name, json, avroCase] of cases) {
  cpu(20, json); // warm up
  cpu(20, avroCase);
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    a.push(cpu(30, json));
    b.push(cpu(30, avroCase));
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
  console.log(`${name.padEnd(14)} json ${median(a).toFixed(3)} µs  avro ${median(b).toFixed(3)} µs  (avro − json ${(median(b) - median(a)).toFixed(3)} µs)  [rounds: ${a.map((x) => x.toFixed(2)).join(" ")} | ${b.map((x) => x.toFixed(2)).join(" ")}]`);
}
