import { describe, expect, it } from "vitest";
import { AvroCodec } from "./avro.js";
import { inferAvroSchema } from "./infer.js";

describe("inferAvroSchema", () => {
  it("infers a record every sample fits: optional fields with defaults, whole numbers long, others double, nested records named by path", () => {
    const samples = [
      { id: 1, amount: 2, tags: ["a"], customer: { name: "x" } },
      { id: 2, amount: 3.5, note: "n", tags: [], customer: { name: "y", vip: true } },
      { id: 3, amount: 1, note: null, tags: ["b"], customer: { name: "z" } },
    ];
    const schema = inferAvroSchema(samples, "Order", "com.acme");
    expect(schema).toEqual({
      type: "record",
      name: "Order",
      namespace: "com.acme",
      fields: [
        { name: "id", type: "long" },
        { name: "amount", type: "double" },
        { name: "tags", type: { type: "array", items: "string" } },
        { name: "customer", type: { type: "record", name: "Customer", fields: [{ name: "name", type: "string" }, { name: "vip", type: ["null", "boolean"], default: null }] } },
        { name: "note", type: ["null", "string"], default: null },
      ],
    });
    const codec = new AvroCodec(schema);
    for (const s of samples) expect(() => codec.encode(s)).not.toThrow();
  });
  it("wraps a non-record value and makes mixed kinds a union", () => {
    const schema = inferAvroSchema([1, "x"], "Thing");
    expect(schema).toEqual({ type: "record", name: "Thing", fields: [{ name: "value", type: ["long", "string"] }] });
  });
  it("says so when there is nothing to look at", () => {
    expect(() => inferAvroSchema([])).toThrow("no sample values");
  });

  it("gives fields whose names clean up alike their own names, fast", () => {
    const sample: Record<string, number> = {};
    for (let i = 0; i < 1500; i++) sample[`a${String.fromCharCode(0x4e00 + i)}`] = i;
    const started = Date.now();
    const schema = inferAvroSchema([sample]) as { fields: { name: string }[] };
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(new Set(schema.fields.map((f) => f.name)).size).toBe(1500);
    expect(() => new AvroCodec(schema)).not.toThrow();
  });
});
