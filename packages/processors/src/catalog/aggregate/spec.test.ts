import { z } from "zod";
import { describe, expect, it } from "vitest";
import { configSchema, spec } from "./spec.js";
import { durationMs, durationProblem, MAX_DURATION_MS } from "./duration.js";

/** The path-named messages of a config the schema refuses. */
function refused(config: unknown): string {
  const r = configSchema.safeParse(config);
  expect(r.success, JSON.stringify(config)).toBe(false);
  return r.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n");
}
const ok = (config: unknown) => {
  const r = configSchema.safeParse(config);
  expect(r.success, r.success ? "" : z.prettifyError(r.error)).toBe(true);
  return r.data!;
};

describe("aggregate config", () => {
  it("the example validates; ports add late only with a window", () => {
    expect(spec.outputPorts(ok(spec.example))).toEqual(["success", "failure"]);
    expect(spec.outputPorts(ok({ op: "count", window: { type: "tumbling", size: "1m" } }))).toEqual(["success", "late", "failure"]);
    expect(spec.docs.length).toBeGreaterThan(80);
    expect(spec.version).toBe(1);
    expect(spec.kind).toBe("transform");
  });

  it("takes an op or a custom reducer, not both, not neither, and names the field", () => {
    expect(refused({})).toMatch(/^op: give op, or initial and reduce/);
    expect(refused({ op: "count", initial: "0", reduce: "state + 1" })).toMatch(/initial: give op or a custom reducer/);
    expect(refused({ initial: "0" })).toMatch(/reduce: a custom reducer needs reduce/);
    expect(refused({ reduce: "state + 1" })).toMatch(/initial: a custom reducer needs initial/);
    expect(refused({ initial: "0", reduce: "state + 1", value: "value.a" })).toMatch(/value: value is for op/);
    expect(refused({ op: "median" })).toMatch(/op: op is one of count, sum/);
    ok({ initial: "0", reduce: "state + value.amount" });
  });

  it("ops that read numbers need value; count refuses one; latest and collect take it optionally", () => {
    for (const op of ["sum", "min", "max", "avg"]) expect(refused({ op })).toMatch(new RegExp(`value: op ${op} needs value`));
    expect(refused({ op: "count", value: "value.a" })).toMatch(/value: op count counts records/);
    ok({ op: "latest" });
    ok({ op: "collect", value: "value.sku" });
    expect(refused({ op: "sum", value: "value.a +" })).toMatch(/value: invalid expression/);
  });

  it("bounds collect's items and defaults them", () => {
    expect(ok({ op: "collect" }).maxItems).toBe(100);
    expect(refused({ op: "collect", maxItems: 0 })).toMatch(/maxItems: maxItems is at least 1/);
    expect(refused({ op: "collect", maxItems: 10_001 })).toMatch(/maxItems: maxItems is at most 10000/);
  });

  it("checks each window type's fields by name", () => {
    expect(refused({ op: "count", window: { type: "tumbling" } })).toMatch(/window.size: a tumbling window needs size/);
    expect(refused({ op: "count", window: { type: "tumbling", size: "1m", gap: "1m" } })).toMatch(/window.gap: a tumbling window has no gap/);
    expect(refused({ op: "count", window: { type: "hopping", size: "1m" } })).toMatch(/window.advance: a hopping window needs advance/);
    expect(refused({ op: "count", window: { type: "hopping", size: "1m", advance: "2m" } })).toMatch(/window.advance: advance is at most size/);
    expect(refused({ op: "count", window: { type: "hopping", size: "1h", advance: "1s" } })).toMatch(/window.advance: size \/ advance is at most 100/);
    expect(refused({ op: "count", window: { type: "session", size: "1m" } })).toMatch(/window.gap: a session window needs gap[\s\S]*window.size: a session window has no size/);
    expect(refused({ op: "count", window: { type: "sliding", size: "1m" } })).toMatch(/window.type: window type is one of/);
    expect(refused({ initial: "0", reduce: "state + 1", window: { type: "session", gap: "1m" } })).toMatch(/window.type: a custom reducer cannot merge two sessions/);
    expect(refused({ op: "count", timestamp: "value.ts" })).toMatch(/timestamp: timestamp is only used with a window/);
    const c = ok({ op: "count", window: { type: "hopping", size: "10m", advance: "1m", grace: "0s" }, timestamp: "value.ts" });
    expect(c.window!.maxPerKey).toBe(100);
    expect(refused({ op: "count", window: { type: "session", gap: "1m", maxPerKey: 0 } })).toMatch(/window.maxPerKey: maxPerKey is at least 1/);
  });

  it("durations are a whole number and a unit, > 0 (grace may be 0), at most 31 days", () => {
    expect(durationMs("250ms")).toBe(250);
    expect(durationMs("30s")).toBe(30_000);
    expect(durationMs("5m")).toBe(300_000);
    expect(durationMs("2h")).toBe(7_200_000);
    expect(durationMs("1d")).toBe(86_400_000);
    for (const bad of ["5", "1.5s", "-1s", "5 m", "5min", "", "1e3ms"]) expect(durationMs(bad), bad).toBeUndefined();
    expect(durationProblem("31d", false)).toBeUndefined();
    expect(durationProblem(`${MAX_DURATION_MS + 1}ms`, false)).toMatch(/at most 31 days/);
    expect(refused({ op: "count", window: { type: "tumbling", size: "0s" } })).toMatch(/window.size: the duration must be more than 0/);
    expect(refused({ op: "count", window: { type: "tumbling", size: "5" } })).toMatch(/window.size: a duration is a whole number and a unit/);
    expect(refused({ op: "count", window: { type: "tumbling", size: 5000 } })).toMatch(/window.size: a duration is text/);
    ok({ op: "count", window: { type: "tumbling", size: "1m", grace: "0s" } });
  });

  it("its JSON Schema (what the designer's form reads) has every field", () => {
    const json = z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" }) as { properties: Record<string, { properties?: object }> };
    expect(Object.keys(json.properties).sort()).toEqual(["groupBy", "initial", "maxItems", "op", "reduce", "snapshotEvery", "timestamp", "value", "window"]);
    expect(Object.keys(json.properties.window!.properties!).sort()).toEqual(["advance", "gap", "grace", "maxPerKey", "size", "type"]);
  });
});
