import { describe, expect, it } from "vitest";
import { z } from "zod";
import { configErrors, defaultFor, fieldsFromJsonSchema, fieldsFromZod, humanize, renameKey, renderedPaths, setAt, unclaimedErrors } from "./schemaForm";

const routeSchema = z.object({
  routes: z
    .array(z.object({ name: z.string().min(1), expression: z.string().min(1).meta({ ui: { widget: "expression" } }) }))
    .min(1),
});

describe("fieldsFromZod", () => {
  it("maps scalars, enums, widgets, and required-ness", () => {
    const s = z.object({
      topic: z.string().min(1).describe("Kafka topic"),
      count: z.number().int().min(0).default(0),
      ratePerSec: z.number().optional(),
      fromBeginning: z.boolean().default(false),
      mode: z.enum(["insert", "upsert"]),
      code: z.string().meta({ ui: { widget: "code" } }),
      secret: z.string().optional().meta({ ui: { widget: "password" } }),
      note: z.string().nullable().optional(),
    });
    const f = fieldsFromZod(s);
    const by = Object.fromEntries(f.map((x) => [x.key, x]));
    expect(by.topic).toMatchObject({ kind: "string", widget: "text", required: true, description: "Kafka topic", minLength: 1 });
    expect(by.count).toMatchObject({ kind: "number", integer: true, minimum: 0, required: false, default: 0 });
    expect((by.count as any).maximum).toBeUndefined();
    expect(by.ratePerSec).toMatchObject({ kind: "number", integer: false, required: false });
    expect(by.fromBeginning).toMatchObject({ kind: "boolean" });
    expect(by.mode).toMatchObject({ kind: "enum", options: ["insert", "upsert"], required: true });
    expect(by.code).toMatchObject({ kind: "string", widget: "code" });
    expect(by.secret).toMatchObject({ kind: "string", widget: "password" });
    expect(by.note).toMatchObject({ kind: "string", nullable: true });
    expect(by.ratePerSec.label).toBe("Rate per sec");
  });

  it("maps arrays of objects (route's routes)", () => {
    const [routes] = fieldsFromZod(routeSchema);
    expect(routes.kind).toBe("array");
    if (routes.kind !== "array") throw new Error();
    expect(routes.minItems).toBe(1);
    expect(routes.item.kind).toBe("object");
    if (routes.item.kind !== "object") throw new Error();
    expect(routes.item.fields.map((f) => [f.key, f.kind])).toEqual([
      ["name", "string"],
      ["expression", "string"],
    ]);
    expect(routes.item.fields[1]).toMatchObject({ widget: "expression" });
    expect(defaultFor(routes.item)).toEqual({ name: "", expression: "" });
  });

  it("maps records (set-headers' headers, postgres-sink's columns)", () => {
    const s = z.object({
      table: z.string(),
      columns: z.record(z.string(), z.string().meta({ ui: { widget: "expression" } })).meta({ ui: { widget: "keyvalue" } }),
    });
    const f = fieldsFromZod(s);
    expect(f[1]).toMatchObject({ kind: "record", key: "columns" });
    if (f[1].kind !== "record") throw new Error();
    expect(f[1].value).toMatchObject({ kind: "string", widget: "expression" });
  });

  it("honours ui.order", () => {
    const s = z.object({ b: z.string(), a: z.string().meta({ ui: { order: 0 } }) });
    expect(fieldsFromZod(s).map((f) => f.key)).toEqual(["a", "b"]);
  });

  it("maps literal unions to enums and odd things to json", () => {
    const s = z.object({ method: z.union([z.literal("GET"), z.literal("POST")]), any: z.unknown(), tuple: z.tuple([z.string(), z.number()]) });
    const f = fieldsFromZod(s);
    expect(f[0]).toMatchObject({ kind: "enum", options: ["GET", "POST"] });
    expect(f[1].kind).toBe("json");
    expect(f[2].kind).toBe("json");
  });

  it("humanizes keys", () => {
    expect(humanize("keyExpression")).toBe("Key expression");
    expect(humanize("intervalMs")).toBe("Interval ms");
    expect(humanize("incrementing_column")).toBe("Incrementing column");
  });
});

describe("errors from the same schema", () => {
  it("keys issues by path and finds the unclaimed ones", () => {
    const value = { routes: [{ name: "", expression: "x" }], extra: 1 };
    const strict = routeSchema.strict();
    const errs = configErrors(strict, value);
    expect(Object.keys(errs).sort()).toEqual(["extra", "routes[0].name"]);
    const fields = fieldsFromZod(strict);
    const rendered = renderedPaths(fields, value);
    expect(rendered.has("routes[0].name")).toBe(true);
    expect(rendered.has("routes[0].expression")).toBe(true);
    const top = unclaimedErrors(errs, rendered);
    expect(top.length).toBe(1);
    expect(top[0]).toMatch(/extra/);
  });

  it("reports an empty array at the array path", () => {
    const errs = configErrors(routeSchema, { routes: [] });
    expect(Object.keys(errs)).toEqual(["routes"]);
  });

  it("keys record entries by their key", () => {
    const s = z.object({ headers: z.record(z.string(), z.string().min(1)) });
    const errs = configErrors(s, { headers: { a: "" } });
    expect(Object.keys(errs)).toEqual(["headers.a"]);
    expect(renderedPaths(fieldsFromZod(s), { headers: { a: "" } }).has("headers.a")).toBe(true);
  });
});

describe("setAt / renameKey", () => {
  it("sets deep values immutably and deletes on undefined", () => {
    const v = { routes: [{ name: "a" }], x: 1 };
    const n = setAt(v, ["routes", 0, "name"], "b");
    expect(n).toEqual({ routes: [{ name: "b" }], x: 1 });
    expect(v.routes[0].name).toBe("a");
    expect(setAt(v, ["x"], undefined)).toEqual({ routes: [{ name: "a" }] });
  });
  it("renames keys keeping order", () => {
    expect(Object.keys(renameKey({ a: 1, b: 2, c: 3 }, "b", "z"))).toEqual(["a", "z", "c"]);
  });
});

describe("connection fields", () => {
  it("a string whose schema names a connectionType is a connection choice, not a text input", () => {
    const fields = fieldsFromJsonSchema({
      type: "object",
      properties: { connection: { type: "string", connectionType: "kafka", description: "Cluster" }, topic: { type: "string" } },
      required: ["topic"],
    });
    const by = Object.fromEntries(fields.map((f) => [f.key, f]));
    expect(by.connection).toMatchObject({ kind: "connection", connectionType: "kafka", required: false, description: "Cluster" });
    expect(by.topic).toMatchObject({ kind: "string" });
    // absent means the engine's own cluster: adding the field starts it absent
    expect(defaultFor(by.connection!)).toBeUndefined();
  });

  it("reads the mark from a zod schema's meta", () => {
    const [field] = fieldsFromZod(z.object({ connection: z.string().optional().meta({ connectionType: "postgres" }) }));
    expect(field).toMatchObject({ kind: "connection", connectionType: "postgres" });
  });
});
