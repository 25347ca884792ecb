import { describe, expect, it } from "vitest";
import type { FlowParameter } from "@millrace/flow";
import { inferLabelOf, inferredSubjectPrefill, inferSamples, nodeSchemaTarget, recordNameFor, recordNameOf, sinkSubject, withValueSchema } from "./kafkaSubject";

const order = JSON.stringify({ type: "record", name: "Order", namespace: "shop", fields: [{ name: "id", type: "string" }] });
const params: FlowParameter[] = [{ name: "env", value: "prod", sensitive: false }];

describe("sinkSubject", () => {
  it("takes the sink's subject as given, whatever the strategy", () => {
    expect(sinkSubject({ topic: "orders", subject: "shared-orders", subjectNameStrategy: "record" }, [])).toEqual({ ok: true, subject: "shared-orders" });
  });

  it("names the subject by the strategy: topic, record, topic-record", () => {
    expect(sinkSubject({ topic: "orders" }, [])).toEqual({ ok: true, subject: "orders-value" });
    expect(sinkSubject({ topic: "orders", subjectNameStrategy: "record", valueSchema: order }, [])).toEqual({ ok: true, subject: "shop.Order" });
    expect(sinkSubject({ topic: "orders", subjectNameStrategy: "topic-record", valueSchema: order }, [])).toEqual({ ok: true, subject: "orders-shop.Order" });
    const dotted = JSON.stringify({ type: "record", name: "acme.Invoice", namespace: "ignored", fields: [] });
    expect(sinkSubject({ topic: "t", subjectNameStrategy: "record", valueSchema: dotted }, [])).toEqual({ ok: true, subject: "acme.Invoice" });
  });

  it("puts the flow's parameters into the topic, and says which one has no value", () => {
    expect(sinkSubject({ topic: "orders-#{env}" }, params)).toEqual({ ok: true, subject: "orders-prod-value" });
    const missing = sinkSubject({ topic: "orders-#{region}" }, params);
    expect(missing.ok).toBe(false);
    expect(!missing.ok && missing.reason).toMatch(/parameter “region”/);
  });

  it("says why there is no subject: no topic, a record strategy without a schema, a schema that is no record", () => {
    const reasonOf = (c: Record<string, unknown>) => {
      const a = sinkSubject(c, []);
      return a.ok ? a.subject : a.reason;
    };
    expect(reasonOf({})).toMatch(/No topic yet/);
    expect(reasonOf({ topic: "orders", subjectNameStrategy: "record" })).toMatch(/record strategy names the subject after the record/);
    expect(reasonOf({ topic: "orders", subjectNameStrategy: "record", valueSchema: '"string"' })).toMatch(/not a named record/);
    expect(reasonOf({ topic: "orders", subjectNameStrategy: "topic-record", valueSchema: "{" })).toMatch(/^valueSchema: Not valid JSON/);
  });

  it("uses the schema given in place of the sink's own (an inferred one about to be set)", () => {
    expect(sinkSubject({ topic: "orders", subjectNameStrategy: "record", valueSchema: order }, [], JSON.stringify({ type: "record", name: "Other", fields: [] }))).toEqual({ ok: true, subject: "Other" });
  });
});

describe("recordNameOf", () => {
  it("gives the full name of a record schema", () => {
    expect(recordNameOf(order)).toEqual({ ok: true, subject: "shop.Order" });
    expect(recordNameOf(JSON.stringify({ type: "record", name: "Order", fields: [] }))).toEqual({ ok: true, subject: "Order" });
  });
});

describe("nodeSchemaTarget", () => {
  const sink = (config: Record<string, unknown>) => ({ type: "kafka-sink", config: { topic: "orders", format: "avro", ...config } });

  it("is nothing for other nodes and other formats", () => {
    expect(nodeSchemaTarget({ type: "log", config: { format: "avro" } }, [])).toBeUndefined();
    expect(nodeSchemaTarget({ type: "kafka-sink", config: { topic: "orders", format: "json" } }, [])).toBeUndefined();
    expect(nodeSchemaTarget({ type: "kafka-source", config: { topic: "orders" } }, [])).toBeUndefined();
  });

  it("a source: <topic>-value, latest", () => {
    expect(nodeSchemaTarget({ type: "kafka-source", config: { topic: "orders", format: "avro" } }, [])).toEqual({ ok: true, subject: "orders-value", version: "latest" });
  });

  it("a sink: its own valueSchema with the subject it is registered under, or the pinned version of its subject", () => {
    expect(nodeSchemaTarget(sink({ valueSchema: order }), [])).toEqual({ ok: true, subject: "orders-value", version: "latest", ownSchema: order });
    expect(nodeSchemaTarget(sink({ subject: "orders-v", version: 3 }), [])).toEqual({ ok: true, subject: "orders-v", version: 3 });
    expect(nodeSchemaTarget(sink({}), [])).toEqual({ ok: true, subject: "orders-value", version: "latest" });
  });

  it("names the schema-registry connection when the schemas live there", () => {
    expect(nodeSchemaTarget(sink({ schemaRegistry: "confluent" }), [])).toEqual({ ok: true, subject: "orders-value", version: "latest", connection: "confluent" });
  });

  it("passes the reason on when the subject cannot be named", () => {
    expect(nodeSchemaTarget(sink({ subjectNameStrategy: "record" }), [])).toMatchObject({ ok: false });
  });
});

describe("infer a schema from the tap", () => {
  const doc = {
    parameters: params,
    nodes: [
      { id: "gen", type: "generate", typeVersion: 1, name: "Orders", config: {}, position: { x: 0, y: 0 } },
      { id: "out", type: "kafka-sink", typeVersion: 1, config: { topic: "orders-#{env}", format: "avro" }, position: { x: 0, y: 0 } },
      { id: "byRecord", type: "kafka-sink", typeVersion: 1, config: { topic: "orders", subjectNameStrategy: "topic-record" }, position: { x: 0, y: 0 } },
      { id: "log", type: "log", typeVersion: 1, config: {}, position: { x: 0, y: 0 } },
    ],
  };
  const into = (node: string) => ({ from: { node: "gen", port: "success" }, to: { node } });

  it("prefills the subject of the sink the edge leads into, else blank", () => {
    expect(inferredSubjectPrefill(doc, into("out"), order)).toBe("orders-prod-value");
    expect(inferredSubjectPrefill(doc, into("byRecord"), order)).toBe("orders-shop.Order");
    expect(inferredSubjectPrefill(doc, into("log"), order)).toBe("");
  });

  it("names the record after the sink's topic, else the upstream node", () => {
    expect(inferLabelOf(doc, into("out"))).toBe("orders-prod");
    expect(inferLabelOf(doc, into("log"))).toBe("Orders");
    expect(recordNameFor("orders-prod")).toBe("OrdersProd");
    expect(recordNameFor("9lives.events")).toBe("R9livesEvents");
    expect(recordNameFor("--")).toBeUndefined();
  });

  it("sends whole values only", () => {
    expect(inferSamples([{ value: { a: 1 } }, { value: "cut…", truncated: true }, { value: null }])).toEqual([{ a: 1 }, null]);
    expect(inferSamples([{ value: 1 }, { value: 2 }, { value: 3 }], 2)).toEqual([1, 2]);
  });

  it("sets the schema on the sink as avro, dropping a pinned version", () => {
    expect(withValueSchema({ topic: "orders", format: "json", version: 2, keyFormat: "string" }, order)).toEqual({ topic: "orders", format: "avro", keyFormat: "string", valueSchema: order });
  });
});
