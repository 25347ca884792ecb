import { describe, expect, it } from "vitest";
import { parseAvroSchema } from "./avro-schema.js";
import { DEFAULT_REGISTRY_SETTINGS } from "./settings.js";
import { COMPATIBILITY_LEVELS, compatibilityProblems, type CompatibilityLevel, type EarlierSchema } from "./compatibility.js";

const bounds = { ...DEFAULT_REGISTRY_SETTINGS, maxSchemaBytes: 1 << 20 };
const record = (fields: object[]) => parseAvroSchema(JSON.stringify({ type: "record", name: "R", fields }), bounds).type;
const earlier = (...types: ReturnType<typeof record>[]): EarlierSchema[] => types.map((type, i) => ({ version: i + 1, id: 100 + i, type }));

const base = record([{ name: "id", type: "int" }]);
/** an optional field added: the new schema reads old data (backward); old readers skip it (forward) */
const optionalAdded = record([{ name: "id", type: "int" }, { name: "note", type: ["null", "string"], default: null }]);
/** a required field added: the new schema cannot read old data; old readers ignore the field */
const requiredAdded = record([{ name: "id", type: "int" }, { name: "note", type: "string" }]);
/** int widened to long: long reads int (backward), int cannot read long (forward) */
const widened = record([{ name: "id", type: "long" }]);

function compatible(candidate: ReturnType<typeof record>, before: EarlierSchema[], level: CompatibilityLevel): boolean {
  return compatibilityProblems(candidate, before, level).length === 0;
}

describe("compatibility levels (Avro schema resolution)", () => {
  it.each([
    // level, candidate, backward-ok, forward-ok
    ["optional field added", optionalAdded, true, true],
    ["required field added", requiredAdded, false, true],
    ["int widened to long", widened, true, false],
  ] as const)("%s", (_what, candidate, backward, forward) => {
    const before = earlier(base);
    expect(compatible(candidate, before, "BACKWARD")).toBe(backward);
    expect(compatible(candidate, before, "FORWARD")).toBe(forward);
    expect(compatible(candidate, before, "FULL")).toBe(backward && forward);
    expect(compatible(candidate, before, "NONE")).toBe(true);
  });

  it("a non-transitive level looks at the newest version only, a transitive one at every version", () => {
    const v1 = record([{ name: "id", type: "int" }]);
    const v2 = record([{ name: "id", type: "int" }, { name: "a", type: "string", default: "" }]);
    // reads v2's data (a is there) but not v1's (a has no default)
    const v3 = record([{ name: "id", type: "int" }, { name: "a", type: "string" }]);
    const before = earlier(v1, v2);
    expect(compatible(v3, before, "BACKWARD")).toBe(true);
    expect(compatibilityProblems(v3, before, "BACKWARD_TRANSITIVE")).toEqual([expect.stringMatching(/^BACKWARD_TRANSITIVE: the new schema cannot read data written with version 1 \(id 100\): .*a/)]);
    // forward: v1 reads v3 (a ignored), v2 reads v3
    expect(compatible(v3, before, "FORWARD_TRANSITIVE")).toBe(true);
    expect(compatible(v3, before, "FULL")).toBe(true);
    expect(compatible(v3, before, "FULL_TRANSITIVE")).toBe(false);
  });

  it("forward problems name the old version that cannot read the new data", () => {
    expect(compatibilityProblems(widened, earlier(base), "FULL_TRANSITIVE")).toEqual([
      expect.stringMatching(/^FULL_TRANSITIVE: version 1 \(id 100\) cannot read data written with the new schema: .*long.*int/),
    ]);
  });

  it("the first version of a subject is compatible at every level", () => {
    for (const level of COMPATIBILITY_LEVELS) expect(compatibilityProblems(requiredAdded, [], level)).toEqual([]);
  });

  it("a renamed record is incompatible both ways, unless aliased", () => {
    const renamed = parseAvroSchema(JSON.stringify({ type: "record", name: "S", fields: [{ name: "id", type: "int" }] }), bounds).type;
    expect(compatible(renamed, earlier(base), "BACKWARD")).toBe(false);
    const aliased = parseAvroSchema(JSON.stringify({ type: "record", name: "S", aliases: ["R"], fields: [{ name: "id", type: "int" }] }), bounds).type;
    expect(compatible(aliased, earlier(base), "BACKWARD")).toBe(true);
  });
});
