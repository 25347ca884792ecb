import { describe, expect, it } from "vitest";
import { configSchema, spec } from "./spec.js";
import { tableWrite } from "./changes.js";
import { KeyError, keyOf } from "./key.js";

describe("table", () => {
  it("config: key is an optional expression; the example validates", () => {
    expect(configSchema.safeParse(spec.example).success).toBe(true);
    expect(configSchema.safeParse({}).success).toBe(true);
    const bad = configSchema.safeParse({ key: "value.id +" });
    expect(bad.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join()).toMatch(/key: invalid expression/);
    expect(configSchema.safeParse({ key: "value.id", extra: 1 }).success).toBe(false);
    expect(spec.outputPorts(spec.example)).toEqual(["success", "failure"]);
    expect(spec.docs.length).toBeGreaterThan(80);
  });

  it("config: snapshotEvery is an optional duration from 5m to under 24h", () => {
    expect(configSchema.safeParse({ snapshotEvery: "1h" }).success).toBe(true);
    const issues = (c: unknown) => configSchema.safeParse(c).error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(issues({ snapshotEvery: "hourly" })).toEqual(['snapshotEvery: a duration is a whole number and a unit (ms, s, m, h or d), like "30s" or "5m"; got "hourly"']);
    expect(issues({ snapshotEvery: "0s" })).toEqual(["snapshotEvery: the duration must be more than 0"]);
    expect(issues({ snapshotEvery: "1ms" })).toEqual(['snapshotEvery: a snapshot at most every 5m (each one reads the whole changelog); got "1ms"']);
    expect(issues({ snapshotEvery: "299s" })).toEqual(['snapshotEvery: a snapshot at most every 5m (each one reads the whole changelog); got "299s"']);
    expect(configSchema.safeParse({ snapshotEvery: "5m" }).success).toBe(true);
    expect(configSchema.safeParse({ snapshotEvery: "23h" }).success).toBe(true);
    expect(issues({ snapshotEvery: "1d" })).toEqual(['snapshotEvery: must be under 24h: an engine starts only from a snapshot younger than that; got "1d"']);
    expect(issues({ snapshotEvery: 60 })).toEqual(['snapshotEvery: snapshotEvery is a duration, like "1h" or "30m"']);
  });

  it("a value replaces the row; null (a tombstone) deletes it, or changes nothing when there is none", () => {
    expect(tableWrite({ a: 1 }, false)).toBe("put");
    expect(tableWrite(0, true)).toBe("put");
    expect(tableWrite(null, true)).toBe("delete");
    expect(tableWrite(null, false)).toBe("none");
  });

  it("keys: the record's own, or the expression's result as text; none is a clear error", () => {
    const r = { key: "k1", value: {}, headers: {} };
    expect(keyOf(r, undefined, false, "key")).toBe("k1");
    expect(keyOf(r, "c-1", true, "key")).toBe("c-1");
    expect(keyOf(r, 42, true, "key")).toBe("42");
    expect(keyOf(r, { a: 1 }, true, "key")).toBe('{"a":1}');
    expect(() => keyOf({ value: 1, headers: {} }, undefined, false, "key")).toThrow(new KeyError("the record has no key: give key an expression for it"));
    expect(() => keyOf(r, undefined, true, "groupBy")).toThrow("groupBy gave no key (no result)");
    expect(() => keyOf(r, null, true, "groupBy")).toThrow("groupBy gave no key (null)");
  });
});
