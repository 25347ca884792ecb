import { afterAll, describe, expect, it } from "vitest";
import { formatError, validateFlow, type FlowDocument } from "@millrace/flow";
import { catalog } from "../../index.js";
import type { MRecord } from "../../sdk.js";
import { closeUserCodePool } from "../../user-code/pool.js";
import { configSchema, spec } from "./spec.js";
import { Merger, NO_MERGE_VALUE } from "./merge.js";

afterAll(() => closeUserCodePool());

const refused = (config: unknown) => {
  const r = configSchema.safeParse(config);
  expect(r.success, JSON.stringify(config)).toBe(false);
  return r.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n");
};
const order = (id: number, customerId: string): MRecord => ({ key: String(id), value: { id, customerId }, headers: { h: "1" } });

describe("join in a flow", () => {
  const flow = (table: string): FlowDocument => ({
    schemaVersion: 1,
    id: "f",
    name: "f",
    parameters: [],
    nodes: [
      { id: "orders", type: "kafka-source", typeVersion: 1, config: { topic: "orders" }, position: { x: 0, y: 0 } },
      { id: "m", type: "map", typeVersion: 1, config: { expression: "value" }, position: { x: 0, y: 0 } },
      { id: "j", type: "join", typeVersion: 1, config: { table, key: "value.customerId", merge: "value" }, position: { x: 0, y: 0 } },
    ],
    edges: [{ id: "e", from: { node: "orders", port: "success" }, to: { node: "j" } }],
  });
  const problems = (d: FlowDocument) => {
    const r = validateFlow(d, catalog);
    return r.ok ? [] : r.errors.map(formatError);
  };
  it("names a node of the flow that keeps a table: a missing one or a map is refused at its field", () => {
    expect(problems(flow("customers"))).toEqual(['nodes[2].config.table: no node "customers" in this flow: name a table or aggregate node']);
    expect(problems(flow("m"))).toEqual(['nodes[2].config.table: node "m" is a map and keeps no table: name a table or aggregate node']);
    const ok = flow("customers");
    ok.nodes.push({ id: "customers", type: "table", typeVersion: 1, config: {}, position: { x: 0, y: 0 } });
    expect(problems(ok)).toEqual([]);
  });
});

describe("join config", () => {
  it("a table node or a compacted topic, exactly one; key and merge required; inner by default", () => {
    expect(configSchema.safeParse(spec.example).success).toBe(true);
    expect(spec.outputPorts(spec.example)).toEqual(["success", "failure"]);
    const base = { key: "value.customerId", merge: "value" };
    expect(configSchema.parse({ ...base, topic: "customers" }).type).toBe("inner");
    expect(refused(base)).toMatch(/^table: give table \(a table or aggregate node\) or topic/);
    expect(refused({ ...base, table: "t", topic: "customers" })).toMatch(/topic: give table or topic, not both/);
    expect(refused({ ...base, topic: "bad topic!" })).toMatch(/topic: a topic name/);
    expect(refused({ ...base, table: ".x" })).toMatch(/table: an id has only/);
    expect(refused({ table: "t", merge: "value" })).toMatch(/key: an expression \(text\) is required/);
    expect(refused({ table: "t", key: "key" })).toMatch(/merge: an expression \(text\) is required/);
    expect(refused({ ...base, table: "t", type: "outer" })).toMatch(/type: type is inner or left/);
  });
});

describe("merge over a batch", () => {
  const records = [order(1, "c1"), order(2, "nobody"), order(3, "c2")];
  const rows = [{ name: "Ann" }, undefined, { name: "Bo" }];

  it("inner: a record without a row is dropped, the others merged with { value, key, headers, table }", async () => {
    const m = new Merger('{ "order": value.id, "key": key, "h": headers.h, "customer": table.name }', "inner");
    const { values, failures } = await m.mergeBatch(records, rows);
    expect(failures.size).toBe(0);
    expect(values).toEqual([{ order: 1, key: "1", h: "1", customer: "Ann" }, undefined, { order: 3, key: "3", h: "1", customer: "Bo" }]);
  });

  it("left: a record without a row is merged with table = null", async () => {
    const m = new Merger('$merge([value, { "customer": table }])', "left");
    const { values } = await m.mergeBatch(records, rows);
    expect(values[1]).toEqual({ id: 2, customerId: "nobody", customer: null });
    expect(values[2]).toEqual({ id: 3, customerId: "c2", customer: { name: "Bo" } });
  });

  it("a merge that fails or gives nothing fails its record alone; the rows in the store are left as they are", async () => {
    const m = new Merger("table.price * value.id", "left");
    const row = { price: "free" };
    const { values, failures } = await m.mergeBatch([order(1, "c1"), order(2, "c2")], [row, { price: 2.5 }]);
    expect(failures.get(0)).toMatch(/expression failed/);
    expect(values[1]).toBe(5);
    expect(row).toEqual({ price: "free" });
    const none = await new Merger("table.missing", "left").mergeBatch([order(1, "c1")], [{}]);
    expect(none.failures.get(0)).toBe(NO_MERGE_VALUE);
  });
});
