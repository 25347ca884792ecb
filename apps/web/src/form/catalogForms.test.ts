import { describe, expect, it } from "vitest";
import { catalog } from "@millrace/processors";
import { configErrors, fieldsFromZod, renderedPaths, unclaimedErrors } from "./schemaForm";

describe("forms for the real catalogue", () => {
  for (const spec of catalog.specs) {
    it(`${spec.type}: builds a form, its example has no errors, every example key has a field`, () => {
      const fields = fieldsFromZod(spec.configSchema);
      expect(configErrors(spec.configSchema, spec.example)).toEqual({});
      const keys = new Set(fields.map((f) => f.key));
      for (const k of Object.keys((spec.example ?? {}) as object)) expect(keys.has(k)).toBe(true);
      // no field falls back to raw JSON for the contract's key config fields
      const json = fields.filter((f) => f.kind === "json").map((f) => f.key);
      expect(json).toEqual([]);
    });
  }

  it("route: routes is an array of {name, expression}", () => {
    const f = fieldsFromZod(catalog.get("route")!.configSchema).find((x) => x.key === "routes")!;
    expect(f.kind).toBe("array");
    if (f.kind !== "array" || f.item.kind !== "object") throw new Error("routes");
    expect(f.item.fields.map((x) => x.key)).toEqual(expect.arrayContaining(["name", "expression"]));
  });

  it("set-headers and postgres-sink: records of expressions", () => {
    const h = fieldsFromZod(catalog.get("set-headers")!.configSchema).find((x) => x.key === "headers")!;
    const c = fieldsFromZod(catalog.get("postgres-sink")!.configSchema).find((x) => x.key === "columns")!;
    expect(h.kind).toBe("record");
    expect(c.kind).toBe("record");
  });

  it("errors of an empty config land on fields (or are listed at the top)", () => {
    const spec = catalog.get("kafka-sink")!;
    const errs = configErrors(spec.configSchema, {});
    expect(errs.topic?.length).toBeGreaterThan(0);
    const fields = fieldsFromZod(spec.configSchema);
    expect(unclaimedErrors(errs, renderedPaths(fields, {}))).toEqual([]);
  });
});
