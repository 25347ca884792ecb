import { describe, expect, it } from "vitest";
import { parseAvroSchema, prettySchema } from "./avro-schema.js";
import { RegistryError } from "./errors.js";

const bounds = { maxSchemaBytes: 4096, maxSchemaDepth: 16 };
const schema = { type: "record", name: "User", namespace: "x", fields: [{ name: "id", type: "long" }, { name: "n", type: ["null", "string"], default: null }] };

function refusal(text: string, b = bounds): RegistryError {
  try {
    parseAvroSchema(text, b);
  } catch (e) {
    if (e instanceof RegistryError) return e;
    throw e;
  }
  throw new Error("not refused");
}

describe("parsing and fingerprinting schemas", () => {
  it("gives schemas that differ only in spacing or key order one fingerprint, and keeps the text compact as sent", () => {
    const compact = parseAvroSchema(JSON.stringify(schema), bounds);
    const spaced = parseAvroSchema(JSON.stringify(schema, null, 4), bounds);
    const reordered = parseAvroSchema(JSON.stringify({ fields: schema.fields.map((f) => Object.fromEntries(Object.entries(f).reverse())), namespace: "x", name: "User", type: "record" }), bounds);
    expect(spaced.fingerprint).toBe(compact.fingerprint);
    expect(reordered.fingerprint).toBe(compact.fingerprint);
    expect(spaced.text).toBe(JSON.stringify(schema));
    expect(prettySchema(compact.text)).toBe(JSON.stringify(schema, null, 2));
  });

  it("keeps schemas apart that differ in a default or a doc (Parsing Canonical Form would merge them)", () => {
    const fp = (s: object) => parseAvroSchema(JSON.stringify(s), bounds).fingerprint;
    const withoutDefault = { ...schema, fields: [schema.fields[0], { name: "n", type: ["null", "string"] }] };
    expect(fp(withoutDefault)).not.toBe(fp(schema));
    expect(fp({ ...schema, doc: "people" })).not.toBe(fp(schema));
    expect(fp({ ...schema, fields: [...schema.fields].reverse() })).not.toBe(fp(schema));
  });

  it("takes a primitive schema given as a JSON string", () => {
    expect(parseAvroSchema('"string"', bounds).type.typeName).toBe("string");
  });

  it("refuses what is no Avro schema with 42201 and the reason", () => {
    expect(refusal("{nope")).toMatchObject({ status: 422, errorCode: 42201, message: expect.stringContaining("not JSON") });
    expect(refusal(JSON.stringify({ type: "record", name: "R", fields: [{ name: "a", type: "unknown.T" }] }))).toMatchObject({ errorCode: 42201, message: expect.stringContaining("unknown.T") });
    expect(refusal('"strnig"')).toMatchObject({ errorCode: 42201 });
  });

  it("refuses schemas over the size and nesting bounds before parsing them as Avro", () => {
    expect(refusal(JSON.stringify({ ...schema, doc: "x".repeat(5000) }))).toMatchObject({ errorCode: 42201, message: expect.stringContaining("limit of 4096") });
    let deep: unknown = "int";
    for (let i = 0; i < 20; i++) deep = { type: "array", items: deep };
    expect(refusal(JSON.stringify(deep))).toMatchObject({ errorCode: 42201, message: expect.stringContaining("deeper than 16") });
  });
});
