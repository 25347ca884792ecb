// B1 with Avro in and out: the schemas, their registration in the engine's own registry, the
// Confluent wire-format copy of the B1 input, and a check that the sink's output decodes.
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expectedKept, preload, recordValue } from "./data.mjs";
import { log } from "./util.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
// the engine's own avsc (a dependency of apps/engine, not of the bench)
const avro = createRequire(join(root, "apps/engine/package.json"))("avsc");

/** The B1 input record (recordValue in data.mjs). */
export const B1_INPUT_SCHEMA = {
  type: "record",
  name: "BenchOrder",
  namespace: "millrace.bench",
  fields: [
    { name: "id", type: "long" },
    { name: "ts", type: "long" },
    { name: "amount", type: "long" },
    { name: "customer", type: "string" },
    { name: "country", type: "string" },
    { name: "items", type: "int" },
    { name: "channel", type: "string" },
    { name: "note", type: "string" },
  ],
};

/** What the B1 map writes (MAP_EXPR in millrace.mjs): the sink's valueSchema. */
export const B1_OUTPUT_SCHEMA = {
  type: "record",
  name: "BenchOrderTotal",
  namespace: "millrace.bench",
  fields: [
    { name: "id", type: "long" },
    { name: "ts", type: "long" },
    { name: "amount", type: "long" },
    { name: "total", type: "double" },
    { name: "customer", type: "string" },
  ],
};

const HEADER_BYTES = 5; // magic byte 0, then the schema id as 4 bytes big-endian

function registryFetch(engine, path, init = {}) {
  // HTTP Basic as Confluent clients send it, with the bench's API token as the password
  const authorization = `Basic ${Buffer.from(`token:${engine.token}`).toString("base64")}`;
  return fetch(`${engine.url}/schema-registry${path}`, { ...init, headers: { authorization, "content-type": "application/vnd.schemaregistry.v1+json", ...init.headers } });
}

async function registryJson(engine, path, init) {
  const res = await registryFetch(engine, path, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`schema registry ${init?.method ?? "GET"} ${path}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Registers `schema` under `subject` in the engine's registry; the schema id. */
export async function registerSchema(engine, subject, schema) {
  const { id } = await registryJson(engine, `/subjects/${encodeURIComponent(subject)}/versions`, { method: "POST", body: JSON.stringify({ schema: JSON.stringify(schema) }) });
  return id;
}

/**
 * The Avro copy of the B1 input: the input schema registered under `<topic>-value`, then the
 * same records as the JSON input in the Confluent wire format. Returns { schemaId, bytesPerRecord }.
 */
export async function preloadAvroInput({ kafka, engine, topic, records }) {
  const schemaId = await registerSchema(engine, `${topic}-value`, B1_INPUT_SCHEMA);
  const type = avro.Type.forSchema(B1_INPUT_SCHEMA);
  const header = Buffer.from([0, 0, 0, 0, 0]);
  header.writeUInt32BE(schemaId, 1);
  const encode = (i, ts) => Buffer.concat([header, type.toBuffer(recordValue(i, ts))]);
  await preload(kafka, topic, records, encode);
  return { schemaId, bytesPerRecord: encode(records - 1, Date.now()).length };
}

/**
 * Reads the first `sample` records of the Avro sink topic, decodes each with the schema its id
 * names (fetched from the registry) and compares it with what the flow must have made of that
 * input record. Returns { checked, schemaId } or throws saying what differs.
 */
export async function checkAvroOutput({ kafka, engine, topic, records, sample = 5, timeoutMs = 60_000 }) {
  if (expectedKept(records) < sample) sample = expectedKept(records);
  const messages = await readFirst(kafka, topic, sample, timeoutMs);
  const types = new Map();
  let schemaId;
  for (const m of messages) {
    const where = `${topic} partition ${m.partition} offset ${m.offset}`;
    if (m.value.length < HEADER_BYTES || m.value[0] !== 0) throw new Error(`${where}: not in the Confluent wire format (first byte ${m.value[0]})`);
    schemaId = m.value.readUInt32BE(1);
    if (!types.has(schemaId)) types.set(schemaId, avro.Type.forSchema(JSON.parse((await registryJson(engine, `/schemas/ids/${schemaId}`)).schema)));
    const got = types.get(schemaId).fromBuffer(m.value.subarray(HEADER_BYTES));
    const input = recordValue(got.id, got.ts);
    const want = { id: input.id, ts: input.ts, amount: input.amount, total: input.amount * 1.19, customer: input.customer };
    const fields = Object.keys(got).join(",");
    if (fields !== Object.keys(want).join(",") || Object.keys(want).some((k) => (k === "total" ? Math.abs(got.total - want.total) > 1e-9 : got[k] !== want[k])) || input.amount % 2 !== 0) {
      throw new Error(`${where}: decoded ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    }
  }
  log(`avro: ${messages.length} records of ${topic} decode (schema id ${schemaId}) to what the flow should have written`);
  return { checked: messages.length, schemaId };
}

async function readFirst(kafka, topic, n, timeoutMs) {
  const consumer = kafka.consumer({ groupId: `bench-avro-check-${topic}-${Date.now()}`, maxWaitTimeInMs: 200 });
  const got = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`${topic}: ${got.length} of ${n} records read within ${timeoutMs / 1000} s`)), timeoutMs);
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            if (got.length < n) got.push({ partition, offset: message.offset, value: message.value });
            if (got.length === n) {
              clearTimeout(timer);
              done();
            }
          },
        })
        .catch(fail);
    });
    return got;
  } finally {
    await consumer.disconnect().catch(() => {});
  }
}
