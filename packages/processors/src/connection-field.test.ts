import { describe, expect, it } from "vitest";
import { secretFields } from "@millrace/flow";
import { catalog, catalogJson } from "./index.js";
import { connectionTypeOf } from "./schema.js";

const parse = (type: string, config: unknown) => catalog.get(type)!.configSchema.safeParse(config);
const messages = (type: string, config: unknown) => {
  const r = parse(type, config);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("a node's connection field", () => {
  it("is declared by the processors that connect somewhere, with the type it must name", () => {
    const declared = Object.fromEntries(catalog.list().flatMap((s) => (connectionTypeOf(s.configSchema) ? [[s.type, connectionTypeOf(s.configSchema)]] : [])));
    expect(declared).toEqual({ "kafka-source": "kafka", "kafka-sink": "kafka", "postgres-poll": "postgres", "postgres-cdc": "postgres", "postgres-sink": "postgres", "http-request": "http" });
  });

  it("carries connectionType in the JSON Schema the designer reads", () => {
    const sink = catalogJson().find((e) => e.type === "kafka-sink")!;
    const field = (sink.configSchema as { properties: Record<string, { connectionType?: string }> }).properties.connection;
    expect(field?.connectionType).toBe("kafka");
  });

  it("is a connection name", () => {
    expect(messages("kafka-sink", { topic: "t", connection: "East Cluster" })).toEqual(["connection: a connection name has 1 to 63 lowercase letters, digits, '-' or '_'"]);
    expect(messages("kafka-sink", { topic: "t", connection: "east" })).toEqual([]);
    expect(messages("kafka-source", { topic: "t" })).toEqual([]);
  });

  it("makes a postgres node's connection string optional, one of the two being required", () => {
    const sink = { table: "t", columns: { a: "value" } };
    expect(messages("postgres-sink", { ...sink, connection: "warehouse" })).toEqual([]);
    expect(messages("postgres-sink", sink)).toEqual(["connectionString: give connectionString or connection (the name of a connection)"]);
    expect(messages("postgres-sink", { ...sink, connection: "warehouse", connectionString: "postgres://h/db" })).toEqual(["connectionString: give connectionString or connection, not both"]);
    expect(messages("postgres-poll", { query: "SELECT 1", connection: "warehouse" })).toEqual([]);
    expect(messages("postgres-poll", { query: "SELECT 1" })).toEqual(["connectionString: give connectionString or connection (the name of a connection)"]);
    expect(messages("postgres-cdc", { tables: ["public.t"], connection: "warehouse" })).toEqual([]);
    expect(messages("postgres-cdc", { tables: ["public.t"] })).toEqual(["url: give url or connection (the name of a connection)"]);
  });

  it("keeps the connection string secret-capable", () => {
    expect(secretFields(catalog.get("postgres-poll")!.configSchema)).toContainEqual(["connectionString"]);
    expect(secretFields(catalog.get("postgres-sink")!.configSchema)).toContainEqual(["connectionString"]);
    expect(secretFields(catalog.get("postgres-cdc")!.configSchema)).toContainEqual(["url"]);
    expect(secretFields(catalog.get("http-request")!.configSchema)).toContainEqual(["url"]);
  });

  it("lets an http-request with a connection leave out its url or give a path under the base URL", () => {
    expect(messages("http-request", { connection: "orders-api" })).toEqual([]);
    expect(messages("http-request", { connection: "orders-api", url: "orders/1?x=2" })).toEqual([]);
    expect(messages("http-request", { connection: "orders-api", url: "ftp://elsewhere/x" })).toEqual(["url: the url must be http(s)://… or a path under the connection's base URL"]);
    expect(messages("http-request", {})).toEqual(["url: give url or connection (the name of a connection)"]);
    expect(messages("http-request", { url: "orders/1" })).toEqual(["url: the url must start with http:// or https:// (or be a #{parameter})"]);
  });
});
