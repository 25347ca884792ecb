import { describe, expect, it } from "vitest";
import { formatError } from "./errors.js";
import { findJsonSyntaxError, lineColumn, parseFlowJson } from "./json-parse.js";
import { fakeCatalog, sampleFlow } from "../test-support/fake-catalog.js";

describe("parseFlowJson", () => {
  it("parses and validates", () => {
    const r = parseFlowJson(JSON.stringify(sampleFlow(), null, 2), fakeCatalog);
    expect(r.ok).toBe(true);
    expect(parseFlowJson("\ufeff" + JSON.stringify(sampleFlow()), fakeCatalog).ok).toBe(true);
  });
  it("reports bad JSON with line and column", () => {
    const text = '{\n  "schemaVersion": 1,\n  "id": "x",\n  "name": "n",,\n}';
    const r = parseFlowJson(text, fakeCatalog);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ path: "", line: 4, column: 15 });
    expect(formatError(r.errors[0])).toBe('invalid JSON at line 4, column 15: expected a property name, unexpected character ","');
  });
  it("reports structural errors by path after parsing", () => {
    const r = parseFlowJson('{"schemaVersion":1,"id":"x","nodes":[],"edges":[]}', fakeCatalog);
    expect(r.ok ? [] : r.errors.map(formatError)).toEqual(["name: required"]);
  });
  it("copes with empty text, deep nesting and non-strings", () => {
    expect(parseFlowJson("", fakeCatalog)).toMatchObject({ ok: false, errors: [{ line: 1, column: 1 }] });
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    expect(parseFlowJson(deep, fakeCatalog).ok).toBe(false);
    expect(parseFlowJson("[".repeat(100_000), fakeCatalog)).toMatchObject({ ok: false, errors: [{ line: 1, column: 100_001 }] });
    expect(parseFlowJson(42 as unknown as string, fakeCatalog).ok).toBe(false);
  });
});

describe("findJsonSyntaxError", () => {
  const cases: Array<[string, number, RegExp]> = [
    ["{", 1, /end of input/],
    ['{"a" 1}', 5, /expected ":"/],
    ['{"a":1 "b":2}', 7, /expected "," or "}"/],
    ["[1,]", 3, /unexpected character "]"/],
    ["[01]", 2, /expected "," or "]"/],
    ['"\\x"', 1, /invalid escape/],
    ['"a\nb"', 2, /control character/],
    ["{} x", 3, /after the end/],
    ["tru", 0, /unexpected character "t"/],
    ["-", 0, /invalid number/],
    ['"abc', 4, /unterminated/],
  ];
  it.each(cases)("%j fails at offset %i", (text, offset, message) => {
    const found = findJsonSyntaxError(text);
    expect(found?.offset).toBe(offset);
    expect(found?.message).toMatch(message);
    expect(() => JSON.parse(text)).toThrow();
  });
  it("accepts everything JSON.parse accepts", () => {
    for (const text of ['{"a":[1,-2.5e+3,true,false,null,"\\u00e9\\n"]}', " [ ] ", '"x"', "0", JSON.stringify(sampleFlow(), null, 4)]) {
      expect(findJsonSyntaxError(text)).toBeUndefined();
    }
  });
  it("lineColumn counts from 1", () => {
    expect(lineColumn("ab\ncd", 4)).toEqual({ line: 2, column: 2 });
    expect(lineColumn("", 0)).toEqual({ line: 1, column: 1 });
  });
});
