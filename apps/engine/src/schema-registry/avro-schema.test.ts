import { describe, expect, it } from "vitest";
import { parseAvroSchema, prettySchema } from "./avro-schema.js";
import { RegistryError } from "./errors.js";
import { DEFAULT_REGISTRY_SETTINGS } from "./settings.js";

const bounds = { ...DEFAULT_REGISTRY_SETTINGS, maxSchemaBytes: 4096, maxSchemaDepth: 16 };
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

  it("refuses unions, named types, fields and enum symbols past their bounds with 42201 and where", () => {
    const enums = (n: number, prefix = "E") => Array.from({ length: n }, (_, i) => ({ type: "enum", name: `${prefix}${i}`, symbols: ["A"] }));
    const roomy = { ...bounds, maxSchemaBytes: 1 << 20 };
    expect(parseAvroSchema(JSON.stringify(enums(100)), roomy).type.typeName).toMatch(/^union/);
    expect(refusal(JSON.stringify(enums(101)), roomy)).toMatchObject({ errorCode: 42201, message: expect.stringContaining("the union at $ has 101 branches, more than this registry's limit of 100") });
    // one union defined and referenced again in other fields: every occurrence is tried branch against branch
    const refs = enums(100).map((e) => e.name);
    const reused = (n: number) => ({ type: "record", name: "R", fields: [{ name: "f0", type: enums(100) }, ...Array.from({ length: n }, (_, i) => ({ name: `f${i + 1}`, type: refs }))] });
    expect(() => parseAvroSchema(JSON.stringify(reused(9)), roomy)).not.toThrow();
    expect(refusal(JSON.stringify(reused(10)), roomy)).toMatchObject({ errorCode: 42201, message: expect.stringMatching(/unions up to \$\.fields\[10\]\.type have 110000 branch pairs .* limit of 100000/) });
    const named = { type: "record", name: "R", fields: Array.from({ length: 11 }, (_, i) => ({ name: `f${i}`, type: enums(100, `E${i}_`) })) };
    expect(refusal(JSON.stringify(named), { ...roomy, maxUnionBranchPairs: Infinity })).toMatchObject({ errorCode: 42201, message: expect.stringContaining("more than 1000 named types") });
    const wide = { type: "record", name: "W", fields: Array.from({ length: 10_001 }, (_, i) => ({ name: `f${i}`, type: "int" })) };
    expect(refusal(JSON.stringify(wide), roomy)).toMatchObject({ errorCode: 42201, message: expect.stringContaining("10001 fields together, more than this registry's limit of 10000") });
    const bigEnum = { type: "enum", name: "Big", symbols: Array.from({ length: 10_001 }, (_, i) => `S${i}`) };
    expect(refusal(JSON.stringify(bigEnum), roomy)).toMatchObject({ errorCode: 42201, message: expect.stringContaining("10001 symbols together") });
  });

  it("refuses whole numbers JSON parsing cannot keep exactly (a long default past 2^53), naming where", () => {
    const longDefault = (n: string) => `{"type":"record","name":"R","fields":[{"name":"n","type":"long","default":${n}}]}`;
    expect(parseAvroSchema(longDefault("4503599627370496"), bounds).text).toContain("4503599627370496");
    expect(refusal(longDefault("9007199254740993"))).toMatchObject({ errorCode: 42201, message: expect.stringContaining("$.fields[0].default") });
    expect(refusal(longDefault("-9223372036854775808"))).toMatchObject({ errorCode: 42201 });
  });

  it("fingerprints a __proto__ key like any other key", () => {
    const fp = (value: number) => parseAvroSchema(`{"type":"string","__proto__":{"v":${value}}}`, bounds).fingerprint;
    expect(fp(1)).not.toBe(fp(2));
  });
});
