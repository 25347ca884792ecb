import { describe, expect, it } from "vitest";
import { AGGREGATE_OPS, type AggregateOp } from "./spec.js";
import { fold, FoldError, initialState, merge, result } from "./reduce.js";

/** Folds `values` from the initial state; a value the op refuses leaves the state and is reported. */
function run(op: AggregateOp, values: unknown[], maxItems = 100): { result: unknown; errors: string[] } {
  let state = initialState(op);
  const errors: string[] = [];
  for (const v of values) {
    try {
      state = fold(op, state, v, maxItems);
    } catch (e) {
      expect(e).toBeInstanceOf(FoldError);
      errors.push((e as Error).message);
    }
  }
  return { result: result(op, state), errors };
}

describe("built-in ops", () => {
  it("fold each op over numbers", () => {
    const xs = [3, -1, 4.5, 0];
    expect(run("count", xs).result).toBe(4);
    expect(run("sum", xs).result).toBe(6.5);
    expect(run("min", xs).result).toBe(-1);
    expect(run("max", xs).result).toBe(4.5);
    expect(run("avg", xs).result).toBe(1.625);
    expect(run("latest", xs).result).toBe(0);
    expect(run("collect", xs).result).toEqual([3, -1, 4.5, 0]);
  });

  it("of nothing: count and sum 0, avg/min/max/latest null, collect []", () => {
    expect(AGGREGATE_OPS.map((op) => [op, run(op, []).result])).toEqual([
      ["count", 0],
      ["sum", 0],
      ["min", null],
      ["max", null],
      ["avg", null],
      ["latest", null],
      ["collect", []],
    ]);
  });

  it("a value that is not a finite number fails its record with what it got; the state stays", () => {
    const { result: total, errors } = run("sum", [1, "2", null, undefined, { a: 1 }, true, Number.NaN, 2]);
    expect(total).toBe(3);
    expect(errors).toEqual([
      'sum needs a number, got a string ("2"); convert it with $number() in value',
      "sum needs a number, got null",
      "sum needs a number, got no result",
      "sum needs a number, got an object",
      "sum needs a number, got boolean true",
      "sum needs a number, got number NaN",
    ]);
    expect(run("avg", ["x", 4]).result).toBe(4);
    expect(run("min", [[1], 7]).errors).toEqual(["min needs a number, got an array"]);
    expect(run("sum", [Number.MAX_VALUE, Number.MAX_VALUE]).errors).toEqual(["sum would no longer be a finite number"]);
  });

  it("latest and collect take any value but no result; count ignores the value", () => {
    expect(run("latest", [{ a: 1 }, null]).result).toBeNull();
    expect(run("latest", [1, undefined]).errors).toEqual(["latest needs a value, got no result"]);
    expect(run("collect", [undefined]).errors).toEqual(["collect needs a value, got no result"]);
    expect(run("count", [undefined, "x"]).result).toBe(2);
  });

  it("collect keeps the last maxItems items, never changing an emitted array", () => {
    let state = initialState("collect");
    const emitted: unknown[] = [];
    for (let i = 1; i <= 5; i++) {
      state = fold("collect", state, i, 3);
      emitted.push(result("collect", state));
    }
    expect(state).toEqual([3, 4, 5]);
    expect(emitted).toEqual([[1], [1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]]);
    expect(run("collect", [1, 2], 1).result).toEqual([2]);
  });

  it("merge two states as if their records had been folded into one", () => {
    const split = (op: AggregateOp, a: unknown[], b: unknown[], maxItems = 100) => {
      const fa = a.reduce((s, v) => fold(op, s, v, maxItems), initialState(op));
      const fb = b.reduce((s, v) => fold(op, s, v, maxItems), initialState(op));
      return result(op, merge(op, fa, fb, maxItems));
    };
    for (const op of AGGREGATE_OPS) expect(split(op, [1, 5], [3]), op).toEqual(run(op, [1, 5, 3]).result);
    for (const op of AGGREGATE_OPS) expect(split(op, [2], []), op).toEqual(run(op, [2]).result);
    for (const op of AGGREGATE_OPS) expect(split(op, [], [2]), op).toEqual(run(op, [2]).result);
    expect(split("collect", [1, 2, 3], [4, 5], 3)).toEqual([3, 4, 5]);
  });
});
