import { describe, expect, it } from "vitest";
import { z } from "zod";
import { catalog } from "@millrace/processors";
import { configErrors, fieldsFromZod, pathKey, renderedPaths, unclaimedErrors } from "./schemaForm";
import { insertEntryAfter, isStringList, pasteEntries, removeEntry, splitListText } from "./stringList";

describe("string lists in the config form", () => {
  it("arrays of plain strings are lists; arrays of objects, expressions or numbers are not", () => {
    const by = Object.fromEntries(
      fieldsFromZod(
        z.object({
          topics: z.array(z.string()),
          exprs: z.array(z.string().meta({ ui: { widget: "expression" } })),
          routes: z.array(z.object({ name: z.string() })),
          sizes: z.array(z.number()),
        }),
      ).map((f) => [f.key, f]),
    );
    expect(isStringList(by.topics!)).toBe(true);
    expect(isStringList(by.exprs!)).toBe(false);
    expect(isStringList(by.routes!)).toBe(false);
    expect(isStringList(by.sizes!)).toBe(false);
  });

  it("a pasted list splits on commas and line breaks, keeping a /regular expression/ whole", () => {
    expect(splitListText("orders, refunds\n\n payments ")).toEqual(["orders", "refunds", "payments"]);
    expect(splitListText("/a{1,3}/, orders")).toEqual(["/a{1,3}/", "orders"]);
    expect(splitListText(" , \n")).toEqual([]);
    expect(pasteEntries(["a", "", "c"], 1, ["x", "y"])).toEqual(["a", "x", "y", "c"]);
  });

  it("removing the last entry of an optional list leaves it out; a required list stays an empty list", () => {
    expect(removeEntry(["a", "b"], 0, true)).toEqual(["b"]);
    expect(removeEntry(["a"], 0, true)).toEqual([]);
    expect(removeEntry(["a"], 0, false)).toBeUndefined();
    expect(insertEntryAfter(["a", "b"], 0)).toEqual(["a", "", "b"]);
  });

  it("kafka-mirror: topics and groups are lists, from/to connection selects, and an entry's error sits on that entry", () => {
    const spec = catalog.get("kafka-mirror")!;
    const fields = fieldsFromZod(spec.configSchema);
    const by = Object.fromEntries(fields.map((f) => [f.key, f]));
    expect(isStringList(by.topics!)).toBe(true);
    expect(isStringList(by.groups!)).toBe(true);
    expect(by.from).toMatchObject({ kind: "connection", connectionType: "kafka", required: false });
    expect(by.to).toMatchObject({ kind: "connection", connectionType: "kafka", required: false });
    const config = { topics: ["orders", "bad topic!", "/(/"], prefix: "copy." };
    const errors = configErrors(spec.configSchema, config);
    expect(Object.keys(errors).sort()).toEqual([pathKey(["topics", 1]), pathKey(["topics", 2])].sort());
    expect(errors[pathKey(["topics", 2])]![0]).toMatch(/not a regular expression/);
    // rendered under their entries, nothing left for the top of the form
    expect(unclaimedErrors(errors, renderedPaths(fields, config))).toEqual([]);
  });
});
