import { afterAll, describe, expect, it } from "vitest";
import type { MRecord } from "../../sdk.js";
import { closeUserCodePool } from "../../user-code/pool.js";
import { CustomReducer, NO_STATE, roundsOf } from "./custom-reducer.js";

afterAll(() => closeUserCodePool());

const rec = (key: string, value: unknown): MRecord => ({ key, value, headers: {} });

describe("custom reducer over a batch", () => {
  it("rounds: each group's r-th record in round r, in batch order", () => {
    expect(roundsOf(["a", "b", "a", undefined, "a", "c", "b"])).toEqual([[0, 1, 5], [2, 6], [4]]);
    expect(roundsOf([])).toEqual([]);
  });

  it("folds each group's records in order, the state of one the input of the next, from known or initial states", async () => {
    const reducer = new CustomReducer('{ "n": 0, "total": 0, "first": value.amount }', '{ "n": state.n + 1, "total": state.total + value.amount, "first": state.first }');
    const records = [rec("a", { amount: 1 }), rec("b", { amount: 10 }), rec("a", { amount: 2 }), rec("a", { amount: 3 }), rec("c", { amount: 7 })];
    const states = new Map<string, unknown>([["c", { n: 5, total: 50, first: 9 }]]);
    const { states: after, failures } = await reducer.reduceBatch(records, records.map((r) => r.key), states);
    expect(failures.size).toBe(0);
    expect(after).toEqual([
      { n: 1, total: 1, first: 1 },
      { n: 1, total: 10, first: 10 },
      { n: 2, total: 3, first: 1 },
      { n: 3, total: 6, first: 1 },
      { n: 6, total: 57, first: 9 },
    ]);
    expect(Object.fromEntries(states)).toEqual({ a: { n: 3, total: 6, first: 1 }, b: { n: 1, total: 10, first: 10 }, c: { n: 6, total: 57, first: 9 } });
  });

  it("a failing record fails alone and leaves its group's state for the next record; skipped records are not evaluated", async () => {
    const reducer = new CustomReducer("0", "state + value");
    const records = [rec("a", 1), rec("a", "x"), rec("a", 2), rec("b", 5), rec("a", 4)];
    const states = new Map<string, unknown>();
    const { states: after, failures } = await reducer.reduceBatch(records, ["a", "a", "a", undefined, "a"], states);
    expect(after).toEqual([1, undefined, 3, undefined, 7]);
    expect([...failures.keys()]).toEqual([1]);
    expect(failures.get(1)).toMatch(/expression failed: .*/);
    expect(Object.fromEntries(states)).toEqual({ a: 7 });
  });

  it("no result from reduce or initial fails the record; initial is tried again on the group's next record", async () => {
    const noState = new CustomReducer("0", "value.missing");
    const r1 = await noState.reduceBatch([rec("a", {})], ["a"], new Map());
    expect(r1.failures.get(0)).toBe(NO_STATE);
    const initialFromRecord = new CustomReducer("value.start", "state + 1");
    const states = new Map<string, unknown>();
    const r2 = await initialFromRecord.reduceBatch([rec("a", {}), rec("a", { start: 10 }), rec("a", {})], ["a", "a", "a"], states);
    expect(r2.failures.get(0)).toBe("initial produced no value");
    expect(r2.states).toEqual([undefined, 11, 12]);
    expect(states.get("a")).toBe(12);
  });

  it("a syntax error fails construction with its position", () => {
    expect(() => new CustomReducer("0", "state +")).toThrow(/invalid expression/);
  });
});
