import { describe, expect, it } from "vitest";
import { fakeCatalog, sampleFlow } from "../test-support/fake-catalog.js";
import { canonicalJson, contentHash, documentHash } from "./canonical.js";
import { formatError } from "./errors.js";
import { flowDocumentJsonSchema } from "./json-schema.js";
import { parseTestTarget, TEST_LIMITS, type TestCase } from "./test-cases.js";
import { validateFlow } from "./validate.js";

const aCase = (over: Partial<TestCase> = {}): TestCase => ({
  name: "big orders pass",
  inputs: { gen: [{ key: "a", value: { amount: 20 } }] },
  expect: { "filter.success": { count: 1, each: "value.amount > 10" } },
  ...over,
});

const errorsOf = (doc: unknown) => {
  const r = validateFlow(doc, fakeCatalog);
  return r.ok ? [] : r.errors.map(formatError);
};

describe("test cases in the flow document", () => {
  it("a document without tests validates and exports exactly as before (no tests key)", () => {
    const r = validateFlow(sampleFlow(), fakeCatalog);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect("tests" in r.document).toBe(false);
    expect(canonicalJson(r.document)).toBe(canonicalJson(sampleFlow()));
    expect(canonicalJson(r.document)).not.toContain('"tests"');
  });

  it("cases survive validation and export, after every other field", () => {
    const doc = { ...sampleFlow(), tests: [aCase({ failures: { filter: { count: 0 } }, timeoutMs: 500 })] };
    const r = validateFlow(doc, fakeCatalog);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.document.tests).toEqual(doc.tests);
    const json = canonicalJson(r.document);
    expect(Object.keys(JSON.parse(json)).at(-1)).toBe("tests");
    const again = validateFlow(JSON.parse(json), fakeCatalog);
    expect(again.ok && canonicalJson(again.document)).toBe(json);
  });

  it("tests do not change what the flow does (content hash), only the version (document hash)", () => {
    const withTests = { ...sampleFlow(), tests: [aCase()] };
    expect(contentHash(withTests)).toBe(contentHash(sampleFlow()));
    expect(documentHash(withTests)).not.toBe(documentHash(sampleFlow()));
  });

  it("bad cases fail with path-named errors", () => {
    expect(errorsOf({ ...sampleFlow(), tests: [{ inputs: {} }] })).toEqual(["tests[0].name: required"]);
    expect(errorsOf({ ...sampleFlow(), tests: [aCase(), aCase()] })).toEqual(['tests[1].name: duplicate test name "big orders pass"']);
    expect(errorsOf({ ...sampleFlow(), tests: [aCase({ expect: { x: { count: -1 } } })] })).toEqual(["tests[0].expect.x.count: must be >= 0"]);
    expect(errorsOf({ ...sampleFlow(), tests: [{ ...aCase(), inputs: { gen: [{ value: 1, extra: 2 }] } }] })[0]).toMatch(/^tests\[0\]\.inputs\.gen\[0\]/);
  });

  it("is bounded: cases, records per case", () => {
    const many = Array.from({ length: TEST_LIMITS.cases + 1 }, (_, i) => aCase({ name: `c${i}` }));
    expect(errorsOf({ ...sampleFlow(), tests: many })).toEqual([`tests: must have at most ${TEST_LIMITS.cases} items`]);
    const records = Array.from({ length: TEST_LIMITS.recordsPerCase + 1 }, (_, i) => ({ value: i }));
    expect(errorsOf({ ...sampleFlow(), tests: [aCase({ inputs: { gen: records } })] })).toEqual([
      `tests[0].inputs: at most ${TEST_LIMITS.recordsPerCase} input records per case (got ${TEST_LIMITS.recordsPerCase + 1})`,
    ]);
  });

  it("the published JSON Schema describes tests as optional", () => {
    const schema = flowDocumentJsonSchema() as { required: string[]; properties: Record<string, unknown> };
    expect(schema.properties.tests).toBeDefined();
    expect(schema.required).not.toContain("tests");
  });
});

describe("parseTestTarget", () => {
  const ids = new Set(["gen", "a.b", "filter"]);
  it("a node id as it is, else node.port at the last dot", () => {
    expect(parseTestTarget("filter", ids)).toEqual({ node: "filter" });
    expect(parseTestTarget("a.b", ids)).toEqual({ node: "a.b" });
    expect(parseTestTarget("filter.failure", ids)).toEqual({ node: "filter", port: "failure" });
    expect(parseTestTarget("a.b.success", ids)).toEqual({ node: "a.b", port: "success" });
    expect(parseTestTarget("nope.success", ids)).toBeUndefined();
    expect(parseTestTarget("filter.", ids)).toBeUndefined();
  });
});
