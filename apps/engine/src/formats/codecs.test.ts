import { describe, expect, it } from "vitest";
import { HEADER } from "@millrace/processors";
import type { InMessage } from "../kafka/index.js";
import { AvroCodec, wireSchemaId } from "./avro.js";
import { messageDecoder, recordEncoder, SchemaCache } from "./codecs.js";
import { flowFormats } from "./flow-formats.js";
import type { SchemaStore } from "./schema-store.js";
import type { ExecutionPlan } from "../planner/index.js";

const V1 = JSON.stringify({ type: "record", name: "Order", namespace: "com.acme", fields: [{ name: "id", type: "long" }, { name: "amount", type: "double" }] });
const V2 = JSON.stringify({ type: "record", name: "Order", namespace: "com.acme", fields: [{ name: "id", type: "long" }, { name: "amount", type: "double" }, { name: "note", type: ["null", "string"], default: null }, { name: "raw", type: "bytes", default: "" }] });

/** A registry in memory: ids from 1, one per distinct schema text. */
function memoryStore(): SchemaStore & { subjects: Map<string, number[]>; texts: string[] } {
  const texts: string[] = [];
  const subjects = new Map<string, number[]>();
  return {
    name: "the test registry",
    texts,
    subjects,
    async byId(id) {
      const t = texts[id - 1];
      if (t === undefined) throw Object.assign(new Error(`schema ${id} not found`), { status: 404 });
      return t;
    },
    async version(subject, version = "latest") {
      const ids = subjects.get(subject);
      if (!ids?.length) throw new Error(`subject ${subject} not found`);
      const v = version === "latest" ? ids.length : version;
      const id = ids[v - 1];
      if (id === undefined) throw new Error(`version ${v} not found`);
      return { id, version: v, schema: texts[id - 1]! };
    },
    async incompatibilities() {
      return [];
    },
    async register(subject, schema) {
      let id = texts.indexOf(schema) + 1;
      if (id === 0) id = texts.push(schema);
      const ids = subjects.get(subject) ?? [];
      if (!ids.includes(id)) ids.push(id);
      subjects.set(subject, ids);
      return { id };
    },
  };
}

const message = (value: Buffer | null, key: Buffer | null = null, offset = "7"): InMessage => ({ offset, key, value, headers: { trace: "t1" }, timestamp: "1" });

describe("formats", () => {
  it("writes the Confluent wire format and reads every version a producer used", async () => {
    const store = memoryStore();
    const v1 = await store.register("orders-value", new AvroCodec(V1).schemaText());
    const v2 = await store.register("orders-value", new AvroCodec(V2).schemaText());
    const enc1 = recordEncoder("avro", "string", { id: v1.id, codec: new AvroCodec(V1) }, undefined)!;
    const enc2 = recordEncoder("avro", "string", { id: v2.id, codec: new AvroCodec(V2) }, undefined)!;
    const m1 = enc1({ key: "k", value: { id: 1, amount: 2.5 }, headers: {} });
    const m2 = enc2({ value: { id: 2, amount: 1, note: "hi", raw: Buffer.from("ab").toString("base64") }, headers: {} });
    expect(wireSchemaId(m1.value as Buffer)).toBe(v1.id);
    expect((m1.value as Buffer)[0]).toBe(0);
    expect(wireSchemaId(m2.value as Buffer)).toBe(v2.id);
    const decoder = messageDecoder("avro", "string", new SchemaCache(store))!;
    const msgs = [message(m1.value as Buffer, Buffer.from("k")), message(m2.value as Buffer)];
    await decoder.prepare(msgs);
    const [r1, r2] = msgs.map((m) => decoder.decode(m));
    expect(JSON.parse(JSON.stringify(r1!.value))).toEqual({ id: 1, amount: 2.5 });
    expect(r1!.key).toBe("k");
    expect(r1!.headers.trace).toBe("t1");
    expect(r1!.headers[HEADER.id]).toBeTruthy();
    // bytes as base64 text, an optional union unwrapped
    expect(JSON.parse(JSON.stringify(r2!.value))).toEqual({ id: 2, amount: 1, note: "hi", raw: "YWI=" });
  });

  it("names the field a value does not fit", () => {
    const enc = recordEncoder("avro", "string", { id: 1, codec: new AvroCodec(V1) }, undefined)!;
    expect(() => enc({ value: { id: 1, amount: "lots" }, headers: {} })).toThrow('value.amount: "lots" is not a double');
    expect(() => enc({ value: { id: 1 }, headers: {} })).toThrow("value.amount: undefined is not a double");
  });

  it("reads a message it cannot decode as a record saying why, never throwing", async () => {
    const decoder = messageDecoder("avro", "string", new SchemaCache(memoryStore()))!;
    const notWire = message(Buffer.from('{"a":1}'));
    const unknownId = message(Buffer.from([0, 0, 0, 0, 42, 1]));
    await decoder.prepare([notWire, unknownId]);
    expect(decoder.decode(notWire).headers[HEADER.formatError]).toBe("the message at offset 7 cannot be read: its value is not avro: not in the Avro wire format (magic byte 0 + schema id)");
    expect(decoder.decode(unknownId).headers[HEADER.formatError]).toBe("the message at offset 7 cannot be read: its value is not avro: schema id 42 is unknown to the test registry");
    // a header of that name from outside is not believed
    const outside: InMessage = { ...message(Buffer.from("x")), headers: { [HEADER.formatError]: "forged" } };
    expect(messageDecoder("string", "string", undefined)!.decode(outside).headers[HEADER.formatError]).toBeUndefined();
  });

  it("string and bytes formats both ways", () => {
    const enc = recordEncoder("bytes", "string", undefined, undefined)!;
    expect((enc({ value: "AQID", headers: {} }).value as Buffer).toJSON().data).toEqual([1, 2, 3]);
    expect(() => enc({ value: { a: 1 }, headers: {} })).toThrow("value: format bytes takes base64 text, got object");
    const dec = messageDecoder("bytes", "string", undefined)!;
    expect(dec.decode(message(Buffer.from([1, 2, 3]))).value).toBe("AQID");
    expect(messageDecoder("string", "string", undefined)!.decode(message(Buffer.from('{"a":1}'))).value).toBe('{"a":1}');
    expect(recordEncoder("string", "string", undefined, undefined)!({ value: { a: 1 }, headers: {} }).value).toBe('{"a":1}');
  });

  it("carries the message timestamp both ways (event time)", () => {
    const dec = messageDecoder("string", "string", undefined)!;
    expect(dec.decode({ ...message(Buffer.from("x")), timestamp: "1733461200000" }).timestamp).toBe(1_733_461_200_000);
    const enc = recordEncoder("string", "string", undefined, undefined)!;
    expect(enc({ value: "x", headers: {}, timestamp: 1_733_461_200_000 }).timestamp).toBe("1733461200000");
    expect(enc({ value: "x", headers: {} }).timestamp).toBeUndefined();
  });

  it("registers a sink's valueSchema under the subject its strategy names when the flow starts", async () => {
    const store = memoryStore();
    const plan = {
      stages: [],
      nodes: [
        { id: "a", kind: "sink", config: { format: "avro", valueSchema: V1 }, ports: [{ port: "success", externalTopic: "orders" }] },
        { id: "b", kind: "sink", config: { format: "avro", valueSchema: V1, subjectNameStrategy: "record" }, ports: [{ port: "success", externalTopic: "orders" }] },
        { id: "c", kind: "sink", config: { format: "avro", valueSchema: V1, subjectNameStrategy: "topic-record" }, ports: [{ port: "success", externalTopic: "orders" }] },
        { id: "d", kind: "sink", config: { format: "avro", subject: "orders-value", version: 1 }, ports: [{ port: "success", externalTopic: "x" }] },
      ],
    } as unknown as ExecutionPlan;
    const f = await flowFormats(plan, () => store, (s) => new SchemaCache(s));
    expect([...f.encoders.keys()]).toEqual(["a", "b", "c", "d"]);
    expect([...store.subjects.keys()]).toEqual(["orders-value", "com.acme.Order", "orders-com.acme.Order"]);
    const missing = { ...plan, nodes: [{ id: "e", kind: "sink", config: { format: "avro", subject: "nope" }, ports: [{ port: "success", externalTopic: "x" }] }] } as unknown as ExecutionPlan;
    await expect(flowFormats(missing, () => store, (s) => new SchemaCache(s))).rejects.toThrow('node "e": the value schema of subject "nope" (version latest) is not in the test registry: subject nope not found');
  });

  it("fails the batch (retried) when the registry does not answer, not its messages", async () => {
    const down: SchemaStore = { ...memoryStore(), name: "a registry that is down", byId: () => Promise.reject(new Error("connection refused")) };
    const decoder = messageDecoder("avro", "string", new SchemaCache(down))!;
    await expect(decoder.prepare([message(Buffer.from([0, 0, 0, 0, 5, 2]))])).rejects.toThrow("connection refused");
  });

  it("registers the schema as written (defaults kept), so adding an optional field stays compatible", () => {
    expect(JSON.parse(new AvroCodec(V2).schemaText()).fields[2]).toEqual({ name: "note", type: ["null", "string"], default: null });
  });

  it("writes a string key of a string key schema as text, and other keys from their JSON", () => {
    const enc = recordEncoder("json", "avro", undefined, { id: 3, codec: new AvroCodec('"string"') })!;
    const key = enc({ key: "12345", value: 1, headers: {} }).key as Buffer;
    expect(new AvroCodec('"string"').decode(key.subarray(5))).toBe("12345");
    const numeric = recordEncoder("json", "avro", undefined, { id: 4, codec: new AvroCodec('"long"') })!;
    expect(new AvroCodec('"long"').decode((numeric({ key: "12345", value: 1, headers: {} }).key as Buffer).subarray(5))).toBe(12345);
    expect(() => numeric({ key: "abc", value: 1, headers: {} })).toThrow('key: "abc" is not a long');
  });

  it("refuses bytes that are not base64, naming the field", () => {
    const codec = new AvroCodec({ type: "record", name: "B", fields: [{ name: "raw", type: "bytes" }] });
    expect(() => codec.encode({ raw: "hello world!" })).toThrow('value.raw: "hello world!" is not base64 text');
    expect(codec.encode({ raw: "AQID" }).length).toBeGreaterThan(0);
  });

  it("reads unions of two records (wrapped, as Avro's JSON encoding writes them)", () => {
    const codec = new AvroCodec({ type: "record", name: "E", fields: [{ name: "body", type: [{ type: "record", name: "A", fields: [{ name: "a", type: "int" }] }, { type: "record", name: "B", fields: [{ name: "b", type: "int" }] }] }] });
    const bytes = codec.encode({ body: { B: { b: 2 } } });
    expect(JSON.parse(JSON.stringify(codec.decode(bytes)))).toEqual({ body: { B: { b: 2 } } });
  });
});
