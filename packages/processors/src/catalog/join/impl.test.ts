import { describe, expect, it } from "vitest";
import type { MRecord } from "../../sdk.js";
import { impl } from "./impl.js";

async function run(config: object, rows: Record<string, unknown>, records: MRecord[]) {
  const emitted: { port: string; record: MRecord }[] = [];
  const p = await impl.create(config as never, { flowId: "f", nodeId: "j", signal: new AbortController().signal, log: () => {}, lookup: (k) => rows[k] });
  await (p as { process: (r: MRecord[], o: unknown) => Promise<void> }).process(records, { emit: (port: string, record: MRecord) => emitted.push({ port, record }) });
  return emitted;
}

const order = (n: number, customer: unknown): MRecord => ({ value: { n, customer }, headers: {} });
const customers = { c1: { name: "Ann" } };

describe("join", () => {
  it("merges each record with its row; inner drops a record without one, left keeps it with table null", async () => {
    const merge = '$merge([value, { "name": table.name, "found": table != null }])';
    const inner = await run({ table: "t", key: "value.customer", merge }, customers, [order(1, "c1"), order(2, "c2")]);
    expect(inner.map((e) => [e.port, e.record.value])).toEqual([["success", { n: 1, customer: "c1", name: "Ann", found: true }]]);
    const left = await run({ table: "t", key: "value.customer", type: "left", merge }, customers, [order(2, "c2")]);
    expect(left.map((e) => e.record.value)).toEqual([{ n: 2, customer: "c2", found: false }]);
  });
  it("sends a record without a key to failure, naming why", async () => {
    const out = await run({ table: "t", key: "value.customer", merge: "value" }, customers, [order(1, null)]);
    expect(out[0]!.port).toBe("failure");
    expect(out[0]!.record.headers["mr.error"]).toContain("the join's key gave no key");
  });
});
