import { describe, expect, it } from "vitest";
import { describeChange, diffSchemas, typeLabel } from "./schemaDiff";

const record = (fields: unknown[], name = "Order") => ({ type: "record", name, namespace: "shop", fields });

describe("typeLabel", () => {
  it("says each kind of Avro type in one short line", () => {
    expect(typeLabel("string")).toBe("string");
    expect(typeLabel(["null", "string"])).toBe("null | string");
    expect(typeLabel({ type: "array", items: "long" })).toBe("array<long>");
    expect(typeLabel({ type: "map", values: ["null", "int"] })).toBe("map<null | int>");
    expect(typeLabel({ type: "enum", name: "Colour", symbols: ["RED"] })).toBe("enum Colour");
    expect(typeLabel({ type: "fixed", name: "Md5", size: 16 })).toBe("fixed Md5(16)");
    expect(typeLabel({ type: "int", logicalType: "date" })).toBe("int (date)");
    expect(typeLabel(record([]))).toBe("Order");
    expect(typeLabel({ type: { type: "string" } })).toBe("string");
  });
});

describe("diffSchemas", () => {
  const v1 = record([
    { name: "id", type: "string" },
    { name: "amount", type: "int" },
    { name: "note", type: ["null", "string"], default: null },
  ]);

  it("a first version: every field added, required where it has no default", () => {
    expect(diffSchemas(undefined, v1)).toEqual([
      { kind: "added", path: "id", type: "string", required: true },
      { kind: "added", path: "amount", type: "int", required: true },
      { kind: "added", path: "note", type: "null | string", defaultValue: "null", required: false },
    ]);
  });

  it("the same schema: no change", () => {
    expect(diffSchemas(v1, structuredClone(v1))).toEqual([]);
  });

  it("names fields added, removed and changed in type or default, removed ones where they were", () => {
    const v2 = record([
      { name: "id", type: "string" },
      { name: "amount", type: "long", default: 0 },
      { name: "email", type: ["null", "string"], default: null },
      { name: "country", type: "string" },
    ]);
    expect(diffSchemas(v1, v2).map(describeChange)).toEqual([
      "~ amount: int → long",
      "~ amount default: none → 0",
      "+ email: null | string (default null)",
      "+ country: string (required, no default)",
      "− note: null | string",
    ]);
  });

  it("a removed field comes before the first kept field that followed it", () => {
    const before = record([{ name: "a", type: "int" }, { name: "b", type: "int" }, { name: "c", type: "int" }]);
    const after = record([{ name: "a", type: "int" }, { name: "c", type: "int" }]);
    expect(diffSchemas(before, after).map((c) => `${c.kind} ${c.path}`)).toEqual(["removed b"]);
    const reordered = record([{ name: "c", type: "int" }, { name: "z", type: "int", default: 1 }]);
    expect(diffSchemas(before, reordered).map((c) => `${c.kind} ${c.path}`)).toEqual(["removed a", "removed b", "added z"]);
  });

  it("walks nested records, inline, referenced by name and inside a union with null, naming fields by their dotted path", () => {
    const address = (fields: unknown[]) => ({ type: "record", name: "Address", fields });
    const before = record([
      { name: "ship", type: address([{ name: "city", type: "string" }]) },
      { name: "bill", type: ["null", "Address"], default: null },
    ]);
    const after = record([
      { name: "ship", type: address([{ name: "city", type: "string" }, { name: "zip", type: "string", default: "" }]) },
      { name: "bill", type: ["null", "Address"], default: null },
    ]);
    expect(diffSchemas(before, after).map(describeChange)).toEqual(['+ ship.zip: string (default "")', '+ bill.zip: string (default "")']);
  });

  it("a field whose record became a string is one type change, its old inner fields not listed", () => {
    const before = record([{ name: "ship", type: { type: "record", name: "Address", fields: [{ name: "city", type: "string" }] } }]);
    const after = record([{ name: "ship", type: "string" }]);
    expect(diffSchemas(before, after).map(describeChange)).toEqual(["~ ship: Address → string"]);
  });

  it("a recursive type (a linked list) ends", () => {
    const node = (extra: unknown[]) => record([{ name: "value", type: "int" }, { name: "next", type: ["null", "Node"], default: null }, ...extra], "Node");
    expect(diffSchemas(node([]), node([{ name: "tag", type: "string", default: "" }])).map(describeChange)).toEqual(['+ tag: string (default "")']);
  });

  it("schemas that are not records compare as a whole", () => {
    expect(diffSchemas("string", "string")).toEqual([]);
    expect(diffSchemas("int", ["null", "int"]).map(describeChange)).toEqual(["~ (whole schema): int → null | int"]);
    expect(diffSchemas(v1, "string").map(describeChange)).toEqual(["~ (whole schema): Order → string"]);
  });

  it("does not throw on malformed schemas (fields that are not objects, no name)", () => {
    expect(() => diffSchemas({ type: "record", name: "R", fields: [1, null, { type: "int" }] }, { type: "record", name: "R", fields: ["x"] })).not.toThrow();
    expect(diffSchemas(undefined, 42)).toEqual([]);
  });
});
