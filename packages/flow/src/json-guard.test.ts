import { describe, expect, it } from "vitest";
import { checkJsonValue } from "./json-guard.js";

const paths = (v: unknown) => checkJsonValue(v).map((e) => `${e.path}: ${e.message}`);

describe("checkJsonValue", () => {
  it("accepts plain JSON, including null-prototype objects", () => {
    expect(checkJsonValue({ a: [1, "x", true, null, { b: -0.5 }] })).toEqual([]);
    expect(checkJsonValue(Object.assign(Object.create(null), { a: 1 }))).toEqual([]);
  });
  it("names every non-JSON value by path", () => {
    expect(paths({ f: () => 1, b: 1n, u: undefined, n: NaN, i: -Infinity, s: Symbol("x"), d: new Date(0), m: new Map() })).toEqual([
      "f: not a JSON value (a function)",
      "b: not a JSON value (a bigint)",
      "u: not a JSON value (undefined)",
      "n: expected a finite number, got NaN",
      "i: expected a finite number, got -Infinity",
      "s: not a JSON value (a symbol)",
      "d: not a JSON value (a Date)",
      "m: not a JSON value (a Map)",
    ]);
  });
  it("refuses __proto__ keys, holes, getters, cycles", () => {
    expect(paths(JSON.parse('{"config":{"__proto__":{"polluted":1}}}'))).toEqual(["config.__proto__: the key __proto__ is not allowed"]);
    // eslint-disable-next-line no-sparse-arrays
    expect(paths({ a: [1, , 3] })).toEqual(["a[1]: not a JSON value (empty array slot)"]);
    let reads = 0;
    const withGetter = { get x() { reads++; throw new Error("boom"); } };
    expect(paths(withGetter)).toEqual(["x: not a JSON value (getter)"]);
    expect(reads).toBe(0);
    const cyclic: Record<string, unknown> = { a: {} };
    (cyclic.a as Record<string, unknown>).back = cyclic;
    expect(paths(cyclic)).toEqual(["a.back: circular reference"]);
  });
  it("does not call a shared (non-cyclic) object circular", () => {
    const shared = { x: 1 };
    expect(checkJsonValue({ a: shared, b: [shared, shared] })).toEqual([]);
  });
  it("bounds depth, array length and error count without recursion", () => {
    let deep: unknown = {};
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    const errs = checkJsonValue(deep);
    expect(errs).toHaveLength(1);
    expect(errs[0].message).toMatch(/nested too deeply/);
    expect(paths({ a: new Array(200_000).fill(0) })).toEqual(["a: too many items (200000, at most 100000)"]);
    const many = checkJsonValue(Array.from({ length: 1000 }, () => () => 0));
    expect(many.length).toBeLessThanOrEqual(51);
    expect(many[many.length - 1].message).toMatch(/too many problems/);
  });
});
