import { describe, expect, it } from "vitest";
import { COMPATIBILITY_LEVELS, COMPATIBILITY_MEANING, filterSubjects, isCompatibilityLevel, parseSchemaText, parsedOrUndefined, prettySchema, subjectNameError } from "./schemaText";

describe("parseSchemaText", () => {
  it("parses JSON and refuses empty text", () => {
    expect(parseSchemaText('{"type":"string"}')).toEqual({ ok: true, value: { type: "string" } });
    expect(parseSchemaText('"long"')).toEqual({ ok: true, value: "long" });
    expect(parseSchemaText("  \n")).toMatchObject({ ok: false, error: expect.stringContaining("Avro schema") });
  });

  it("says where the JSON breaks, as line and column", () => {
    const parsed = parseSchemaText('{\n  "type": "record",\n  "fields": [],\n}');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(/^Not valid JSON at line 4, column 1: .*position 38/);
    const noOffset = parseSchemaText('{"name": x}');
    expect(noOffset.ok || noOffset.error).toMatch(/^Not valid JSON: /);
  });
});

describe("prettySchema", () => {
  it("indents a stored schema and leaves text that is not JSON as it is", () => {
    expect(prettySchema('{"type":"record","name":"R","fields":[]}')).toBe('{\n  "type": "record",\n  "name": "R",\n  "fields": []\n}');
    expect(prettySchema("not json")).toBe("not json");
    expect(parsedOrUndefined("not json")).toBeUndefined();
    expect(parsedOrUndefined(undefined)).toBeUndefined();
    expect(parsedOrUndefined('"int"')).toBe("int");
  });
});

describe("compatibility levels", () => {
  it("has Confluent's seven levels, each explained", () => {
    expect(COMPATIBILITY_LEVELS).toHaveLength(7);
    for (const level of COMPATIBILITY_LEVELS) expect(COMPATIBILITY_MEANING[level].length).toBeGreaterThan(10);
    expect(isCompatibilityLevel("FULL")).toBe(true);
    expect(isCompatibilityLevel("full")).toBe(false);
  });
});

describe("filterSubjects", () => {
  const subjects = [{ subject: "payments-value" }, { subject: "orders-value" }, { subject: "Orders-key" }];
  it("keeps subjects containing every typed word, any case, sorted", () => {
    expect(filterSubjects(subjects, "").map((s) => s.subject)).toEqual(["Orders-key", "orders-value", "payments-value"]);
    expect(filterSubjects(subjects, "ORDERS").map((s) => s.subject)).toEqual(["Orders-key", "orders-value"]);
    expect(filterSubjects(subjects, " value  ord ").map((s) => s.subject)).toEqual(["orders-value"]);
    expect(filterSubjects(subjects, "nothing")).toEqual([]);
  });
});

describe("subjectNameError", () => {
  it("refuses empty names and names with spaces at the ends", () => {
    expect(subjectNameError("orders-value")).toBeUndefined();
    expect(subjectNameError("")).toMatch(/Name the subject/);
    expect(subjectNameError(" orders")).toMatch(/spaces/);
    expect(subjectNameError("a\tb")).toMatch(/control/);
    expect(subjectNameError("s".repeat(255))).toBeUndefined();
    expect(subjectNameError("s".repeat(256))).toMatch(/at most 255 characters \(this one 256\)/);
  });
});
