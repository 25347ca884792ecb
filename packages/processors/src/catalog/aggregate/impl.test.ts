import { describe, expect, it } from "vitest";
import type { KeyValueState, MRecord } from "../../sdk.js";
import { impl } from "./impl.js";

function memoryState(): KeyValueState & { rows: Map<string, unknown> } {
  const rows = new Map<string, unknown>();
  return { rows, get: (k) => rows.get(k), put: (k, v) => void rows.set(k, v), delete: (k) => void rows.delete(k) };
}

async function run(config: object, records: MRecord[], state = memoryState()) {
  const emitted: { port: string; record: MRecord }[] = [];
  const p = await impl.create(config as never, { flowId: "f", nodeId: "agg", signal: new AbortController().signal, log: () => {} });
  await (p as { process: (r: MRecord[], o: unknown, s: KeyValueState) => Promise<void> }).process(records, { emit: (port: string, record: MRecord) => emitted.push({ port, record }) }, state);
  return { emitted, state };
}

const rec = (key: string | undefined, value: unknown): MRecord => ({ ...(key === undefined ? {} : { key }), value, headers: {} });

describe("aggregate", () => {
  it("sums per group across batches, emitting each group's new result keyed by the group", async () => {
    const state = memoryState();
    const first = await run({ op: "sum", value: "value.amount" }, [rec("a", { amount: 2 }), rec("b", { amount: 5 }), rec("a", { amount: 3 })], state);
    expect(first.emitted.map((e) => [e.record.key, e.record.value])).toEqual([["a", 2], ["b", 5], ["a", 5]]);
    const second = await run({ op: "sum", value: "value.amount" }, [rec("a", { amount: 10 })], state);
    expect(second.emitted[0]!.record.value).toBe(15);
    expect(state.rows.get("a")).toBe(15);
  });
  it("sends a record whose value is no number, or that has no key, to failure and keeps the group's result", async () => {
    const { emitted, state } = await run({ op: "sum", value: "value.amount" }, [rec("a", { amount: 1 }), rec("a", { amount: "x" }), rec(undefined, { amount: 1 })]);
    expect(emitted.map((e) => e.port).sort()).toEqual(["failure", "failure", "success"]);
    expect(emitted.find((e) => e.port === "failure" && e.record.headers["mr.error"]?.includes("number"))).toBeDefined();
    expect(state.rows.get("a")).toBe(1);
  });
  it("counts, and carries each op's state across batches; a key changed twice in a batch reads its new state", async () => {
    const counts = await run({ op: "count" }, [rec("a", "x"), rec("b", "y"), rec("a", "z")]);
    expect(counts.emitted.map((e) => [e.record.key, e.record.value])).toEqual([["a", 1], ["b", 1], ["a", 2]]);
    const state = memoryState();
    await run({ op: "avg", value: "value" }, [rec("k", 1), rec("k", 2)], state);
    const next = await run({ op: "avg", value: "value" }, [rec("k", 6)], state);
    expect(next.emitted[0]!.record.value).toBe(3);
    const max = await run({ op: "max", value: "value" }, [rec("m", 4), rec("m", "high"), rec("m", 9)]);
    expect(max.emitted.map((e) => [e.port, e.record.value])).toEqual([["success", 4], ["failure", "high"], ["success", 9]]);
  });
  it("runs a custom reducer", async () => {
    const { emitted } = await run({ initial: '{ "n": 0 }', reduce: '{ "n": state.n + 1 }' }, [rec("a", {}), rec("a", {}), rec("b", {})]);
    expect(emitted.map((e) => [e.record.key, e.record.value])).toEqual([["a", { n: 1 }], ["a", { n: 2 }], ["b", { n: 1 }]]);
  });
});
