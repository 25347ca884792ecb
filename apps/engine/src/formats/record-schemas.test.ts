import { describe, expect, it } from "vitest";
import { HEADER, type MRecord } from "@millrace/processors";
import type { FlowDocument } from "@millrace/flow";
import { planFlow, type ExecutionPlan, type PlannerCatalog } from "../planner/index.js";
import { StageExecutor } from "../runtime/stage.js";
import { AvroCodec, wireSchemaId } from "./avro.js";
import { SchemaCache } from "./codecs.js";
import { flowFormats } from "./flow-formats.js";
import type { SchemaStore } from "./schema-store.js";

const schema = (...extra: string[]) =>
  JSON.stringify({
    type: "record",
    name: "Value",
    namespace: "public.orders",
    fields: [{ name: "id", type: "long" }, ...extra.map((name) => ({ name, type: ["null", "string"], default: null }))],
  });

/** Registrations as a registry would answer them (one id per text), with a switch to refuse. */
function registry() {
  const calls: { subject: string; schema: string }[] = [];
  const texts: string[] = [];
  const state = { refuse: undefined as string | undefined };
  const store: SchemaStore = {
    name: "the test registry",
    byId: (id) => Promise.resolve(texts[id - 1]!),
    version: () => Promise.reject(new Error("not used")),
    incompatibilities: () => Promise.resolve([]),
    register(subject, text) {
      calls.push({ subject, schema: text });
      if (state.refuse) return Promise.reject(new Error(state.refuse));
      const id = texts.indexOf(text) + 1 || texts.push(text);
      return Promise.resolve({ id });
    },
  };
  return { store, calls, state };
}

async function sinkEncoder(store: SchemaStore, config: Record<string, unknown> = {}) {
  const plan = { stages: [], nodes: [{ id: "sink", kind: "sink", config: { format: "avro", schemaFromRecord: true, ...config }, ports: [{ port: "success", externalTopic: "orders" }] }] } as unknown as ExecutionPlan;
  const f = await flowFormats(plan, () => store, (s) => new SchemaCache(s));
  return f.encoders.get("sink")!;
}

const record = (value: unknown, text: string | undefined): MRecord => ({ key: '{"id":1}', value, headers: text === undefined ? { trace: "t" } : { trace: "t", [HEADER.avroSchema]: text } });

describe("schema from the record", () => {
  it("registers each schema text the first time it is seen, then writes with its id, without the header", async () => {
    const { store, calls } = registry();
    const encode = await sinkEncoder(store);
    expect(calls).toEqual([]); // nothing is registered at deploy
    const v1 = schema();
    const v2 = schema("note");
    const batch1 = [record({ id: 1 }, v1), record({ id: 2 }, v1)];
    await encode.prepare!(batch1.map((r) => ({ record: r })));
    const [m1, m2] = batch1.map((r) => encode(r));
    expect(calls).toEqual([{ subject: "orders-value", schema: new AvroCodec(v1).schemaText() }]);
    expect(wireSchemaId(m1!.value as Buffer)).toBe(1);
    expect(wireSchemaId(m2!.value as Buffer)).toBe(1);
    expect(m1!.headers).toEqual({ trace: "t" });
    // the record itself keeps its header (it is still routed and recorded as it is)
    expect(batch1[0]!.headers[HEADER.avroSchema]).toBe(v1);
    // an added column: a new text, registered once, as the subject's next version
    const batch2 = [record({ id: 3, note: "hi" }, v2), record({ id: 4 }, v1)];
    await encode.prepare!(batch2.map((r) => ({ record: r })));
    await encode.prepare!(batch2.map((r) => ({ record: r })));
    const [m3, m4] = batch2.map((r) => encode(r));
    expect(calls.length).toBe(2);
    expect(wireSchemaId(m3!.value as Buffer)).toBe(2);
    expect(wireSchemaId(m4!.value as Buffer)).toBe(1);
    expect(JSON.parse(JSON.stringify(new AvroCodec(v2).decode((m3!.value as Buffer).subarray(5))))).toEqual({ id: 3, note: "hi" });
  });

  it("names the subject by the strategy, per schema", async () => {
    const { store, calls } = registry();
    const encode = await sinkEncoder(store, { subjectNameStrategy: "topic-record" });
    const r = record({ id: 1 }, schema());
    await encode.prepare!([{ record: r }]);
    encode(r);
    expect(calls[0]!.subject).toBe("orders-public.orders.Value");
  });

  it("fails only the records whose schema cannot be registered or read, with the reason, and tries the registry again later", async () => {
    const { store, calls, state } = registry();
    const encode = await sinkEncoder(store);
    state.refuse = "incompatible: field id changed type";
    const refused = record({ id: 1 }, schema("x"));
    const broken = record({ id: 1 }, "{not json");
    const bare = record({ id: 1 }, undefined);
    await encode.prepare!([refused, broken, bare].map((r) => ({ record: r })));
    expect(() => encode(refused)).toThrow("registering the record's Avro schema (public.orders.Value) in the test registry failed: incompatible: field id changed type");
    expect(() => encode(broken)).toThrow("is not a schema");
    expect(() => encode(bare)).toThrow(`the record has no Avro schema in header ${HEADER.avroSchema}`);
    expect(() => encode(record({ id: "x" }, schema("x")))).toThrow("registering"); // still refused: not asked again at once
    state.refuse = undefined;
    await encode.prepare!([{ record: refused }]);
    expect(calls.length).toBe(1);
  });

  it("leaves sinks without schemaFromRecord as they were (no prepare step)", async () => {
    const { store } = registry();
    const plan = { stages: [], nodes: [{ id: "sink", kind: "sink", config: { format: "avro", valueSchema: schema() }, ports: [{ port: "success", externalTopic: "orders" }] }] } as unknown as ExecutionPlan;
    const f = await flowFormats(plan, () => store, (s) => new SchemaCache(s));
    expect(f.encoders.get("sink")!.prepare).toBeUndefined();
  });

  it("is registered by the stage before the sink's records are encoded (one registration per batch, not per record)", async () => {
    const catalog: PlannerCatalog = {
      get: (t) => ({ poll: { kind: "source" as const, outputPorts: () => ["success"] }, sink: { kind: "sink" as const, outputPorts: () => ["success", "failure"], externalTopic: (c: { topic: string }) => c.topic } })[t],
    };
    const node = (id: string, type: string, config: Record<string, unknown>) => ({ id, type, typeVersion: 1, config, position: { x: 0, y: 0 } });
    const doc: FlowDocument = {
      schemaVersion: 1,
      id: "f",
      name: "f",
      nodes: [node("src", "poll", {}), node("sink", "sink", { topic: "orders", format: "avro", schemaFromRecord: true })],
      edges: [{ id: "e1", from: { node: "src", port: "success" }, to: { node: "sink" } }],
      parameters: [],
    };
    const plan = planFlow(doc, catalog);
    const { store, calls } = registry();
    const { encoders } = await flowFormats(plan, () => store, (s) => new SchemaCache(s));
    const stage = plan.stages.find((s) => s.nodes.includes("sink"))!;
    const pass = { process: (rs: MRecord[], o: { emit(port: string, r: MRecord, i: number): void }) => rs.forEach((r, i) => o.emit("success", r, i)) };
    const ex = new StageExecutor(plan, stage, new Map([["sink", pass]]), undefined, encoders);
    const text = schema();
    // the source's records go through the sink fused below it, as a postgres-cdc's do
    expect(stage.head).toBe("src");
    const out = await ex.runSource([record({ id: 1 }, text), record({ id: 2 }, text)], { chooser: undefined, slot: 0 });
    expect(calls).toHaveLength(1);
    const written = out.outgoing.topics.get("orders")!.messages;
    expect(written.map((m) => wireSchemaId(m.value as Buffer))).toEqual([1, 1]);
    expect(written[0]!.headers![HEADER.avroSchema]).toBeUndefined();
  });
});
