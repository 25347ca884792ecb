import { describe, expect, it } from "vitest";
import { HEADER } from "../../sdk.js";
import { avroName, avroParserFor, jsonTextColumns, relationAvro, valueSchema, withAvroSchema } from "./avro-schema.js";
import { millraceEncoder } from "./changes.js";
import type { CapturedTable } from "./setup.js";
import { configSchema } from "./spec.js";
import { OVERRIDES } from "./values.js";

type Field = { name: string; type: unknown; default?: unknown };
const fieldsOf = (schema: unknown) => (schema as { fields: Field[] }).fields;
const typeOf = (schema: unknown, name: string) => fieldsOf(schema).find((f) => f.name === name)?.type;

describe("postgres-cdc Avro schemas", () => {
  it("maps every type as the JSON mapping gives its values, each field optional with default null", () => {
    const s = valueSchema("public.t", [
      { name: "b", typeOid: 16 },
      { name: "raw", typeOid: 17 },
      { name: "big", typeOid: 20 },
      { name: "small", typeOid: 21 },
      { name: "i", typeOid: 23 },
      { name: "o", typeOid: 26 },
      { name: "j", typeOid: 114 },
      { name: "jb", typeOid: 3802 },
      { name: "f4", typeOid: 700 },
      { name: "f8", typeOid: 701 },
      { name: "n", typeOid: 1700 },
      { name: "amount", typeOid: 25, override: OVERRIDES.number },
      { name: "doc", typeOid: 25, override: OVERRIDES.json },
      { name: "ts", typeOid: 1184 },
      { name: "t", typeOid: 1114 },
      { name: "u", typeOid: 2950 },
      { name: "mood", typeOid: 99999, typeName: "mood" },
      { name: "ints", typeOid: 1007 },
      { name: "bigs", typeOid: 1016 },
      { name: "texts", typeOid: 1009 },
      { name: "moods", typeOid: 99998, typeName: "_mood" },
      { name: "blobs", typeOid: 1001 },
    ]);
    expect(s).toMatchObject({ type: "record", name: "Value", namespace: "public.t" });
    for (const f of fieldsOf(s)) {
      expect(f.default).toBeNull();
      expect((f.type as unknown[])[0]).toBe("null");
    }
    expect(typeOf(s, "b")).toEqual(["null", "boolean"]);
    expect(typeOf(s, "raw")).toEqual(["null", "bytes"]);
    // a bigint beyond a double's integers stays text in the JSON mapping
    expect(typeOf(s, "big")).toEqual(["null", "long", "string"]);
    expect(typeOf(s, "small")).toEqual(["null", "int"]);
    expect(typeOf(s, "i")).toEqual(["null", "int"]);
    expect(typeOf(s, "o")).toEqual(["null", "long"]);
    expect(typeOf(s, "j")).toEqual(["null", "string"]);
    expect(typeOf(s, "jb")).toEqual(["null", "string"]);
    expect(typeOf(s, "f4")).toEqual(["null", "double", "string"]);
    expect(typeOf(s, "f8")).toEqual(["null", "double", "string"]);
    expect(typeOf(s, "n")).toEqual(["null", "string"]);
    expect(typeOf(s, "amount")).toEqual(["null", "double", "string"]);
    expect(typeOf(s, "doc")).toEqual(["null", "string"]);
    for (const name of ["ts", "t", "u", "mood"]) expect(typeOf(s, name)).toEqual(["null", "string"]);
    expect(typeOf(s, "ints")).toEqual(["null", { type: "array", items: ["null", "int"] }]);
    expect(typeOf(s, "bigs")).toEqual(["null", { type: "array", items: ["null", "long", "string"] }]);
    expect(typeOf(s, "texts")).toEqual(["null", { type: "array", items: ["null", "string"] }]);
    expect(typeOf(s, "moods")).toEqual(["null", { type: "array", items: ["null", "string"] }]);
    expect(typeOf(s, "blobs")).toEqual(["null", { type: "array", items: ["null", "bytes"] }]);
  });

  it("makes names Avro-safe, unique, and renames the rows' fields to match", () => {
    expect(avroName("order-id")).toBe("order_id");
    expect(avroName("1st")).toBe("_1st");
    expect(avroName("Straße")).toBe("Stra_e");
    const avro = relationAvro("millrace", "my schema", "Orders", [
      { name: "id", typeOid: 23 },
      { name: "order-id", typeOid: 25 },
      { name: "order_id", typeOid: 25 },
    ]);
    const schema = JSON.parse(avro.text) as { name: string; namespace: string; fields: Field[] };
    expect(schema).toMatchObject({ name: "Envelope", namespace: "my_schema.Orders" });
    expect(fieldsOf((schema.fields[1]!.type as unknown[])[1]).map((f) => f.name)).toEqual(["id", "order_id", "order_id_3"]);
    expect([...avro.renames!]).toEqual([
      ["order-id", "order_id"],
      ["order_id", "order_id_3"],
    ]);
    const table = { name: "my schema.Orders", schema: "my schema", table: "Orders", keyColumns: ["id"] } as CapturedTable;
    const tx = { lsn: "0/1", lsnNumber: 1, txId: 7, commitTime: "2026-01-02T03:04:05.000000Z" };
    const r = withAvroSchema(millraceEncoder()("u", { id: 1, "order-id": "a", order_id: "b" }, { id: 1, "order-id": "c", order_id: null }, table, tx), avro);
    expect(r.key).toBe('{"id":1}');
    expect(r.value).toMatchObject({ op: "u", before: { id: 1, order_id: "a", order_id_3: "b" }, after: { id: 1, order_id: "c", order_id_3: null } });
    expect(r.headers[HEADER.avroSchema]).toBe(avro.text);
  });

  it("derives both envelopes, the row record defined once and referenced", () => {
    for (const envelope of ["millrace", "debezium"] as const) {
      const schema = JSON.parse(relationAvro(envelope, "public", "orders", [{ name: "id", typeOid: 23 }]).text) as { fields: Field[] };
      const names = schema.fields.map((f) => f.name);
      expect(names).toEqual(envelope === "millrace" ? ["op", "before", "after", "source"] : ["before", "after", "source", "op", "ts_ms", "transaction"]);
      expect(typeOf(schema, "after")).toEqual(["null", "public.orders.Value"]);
      expect(typeOf(schema, "before")).toMatchObject(["null", { type: "record", name: "Value", namespace: "public.orders" }]);
    }
  });

  it("keeps json as its text in Avro mode: the stream's parsers and the snapshot's rows", () => {
    expect(avroParserFor(3802, null, undefined)('{"a": 1}')).toBe('{"a": 1}');
    expect(avroParserFor(199, null, undefined)('{"{\\"a\\": 1}",NULL}')).toEqual(['{"a": 1}', null]);
    expect(avroParserFor(25, null, OVERRIDES.json)("[1]")).toBe("[1]");
    expect(avroParserFor(25, null, OVERRIDES.number)("1.5")).toBe(1.5);
    expect(avroParserFor(1007, null, undefined)("{1,2}")).toEqual([1, 2]);
    const toText = jsonTextColumns([
      { name: "doc", typeOid: 25, override: OVERRIDES.json },
      { name: "id", typeOid: 23 },
    ])!;
    const rows: Record<string, unknown>[] = [{ doc: { a: 1 }, id: 1 }, { doc: null, id: 2 }, { doc: "text", id: 3 }];
    toText(rows);
    expect(rows).toEqual([{ doc: '{"a":1}', id: 1 }, { doc: null, id: 2 }, { doc: "text", id: 3 }]);
    expect(jsonTextColumns([{ name: "id", typeOid: 23 }])).toBeUndefined();
  });

  it("takes avroSchema in the config, not with outbox", () => {
    expect(configSchema.safeParse({ url: "postgres://x/y", tables: ["public.t"], avroSchema: true }).success).toBe(true);
    const outbox = configSchema.safeParse({ url: "postgres://x/y", outbox: {}, avroSchema: true });
    expect(outbox.success).toBe(false);
    expect(JSON.stringify(outbox.error?.issues)).toContain("avroSchema");
  });
});
