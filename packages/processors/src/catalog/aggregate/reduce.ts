import type { AggregateOp } from "./spec.js";

/**
 * The built-in ops of the aggregate processor as pure functions over a JSON-able state (what
 * the store and its changelog keep per group): `initialState`, `fold` one value in, `merge` two
 * states (sessions bridged by a record), `result` (what is emitted). A state is never changed
 * in place, since the emitted result may share it (collect's array) with a record in flight.
 */

/** avg's state: the result is sum / count. */
export interface AvgState {
  sum: number;
  count: number;
}

/** The outcome of folding a batch: per record, its group's state after it, or why the record failed. */
export interface Reduced {
  /** the state after record i (undefined where it failed or was skipped) */
  states: unknown[];
  /** failed record index → reason; its group's state is as before it */
  failures: Map<number, string>;
}

/** A value an op cannot take (sum of a string...): the record goes to `failure`, the state stays. */
export class FoldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FoldError";
  }
}

export function initialState(op: AggregateOp): unknown {
  switch (op) {
    case "count":
    case "sum":
      return 0;
    case "avg":
      return { sum: 0, count: 0 } satisfies AvgState;
    case "collect":
      return [];
    case "min":
    case "max":
    case "latest":
      return null;
  }
}

function describeValue(v: unknown): string {
  if (v === undefined) return "no result";
  if (v === null) return "null";
  if (typeof v === "string") return `a string (${JSON.stringify(v.length > 30 ? `${v.slice(0, 30)}…` : v)})`;
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `${typeof v} ${String(v)}`;
}

function numberFor(op: AggregateOp, v: unknown): number {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  const hint = typeof v === "string" ? "; convert it with $number() in value" : "";
  throw new FoldError(`${op} needs a number, got ${describeValue(v)}${hint}`);
}

function finite(op: AggregateOp, x: number): number {
  if (!Number.isFinite(x)) throw new FoldError(`${op} would no longer be a finite number`);
  return x;
}

/**
 * The state after `value` (what the `value` expression gave; unused by count). `maxItems`
 * bounds collect, which keeps the latest items. Throws a FoldError for a value the op cannot take.
 */
export function fold(op: AggregateOp, state: unknown, value: unknown, maxItems: number): unknown {
  switch (op) {
    case "count":
      return (state as number) + 1;
    case "sum":
      return finite(op, (state as number) + numberFor(op, value));
    case "min": {
      const v = numberFor(op, value);
      return state === null || v < (state as number) ? v : state;
    }
    case "max": {
      const v = numberFor(op, value);
      return state === null || v > (state as number) ? v : state;
    }
    case "avg": {
      const s = state as AvgState;
      return { sum: finite(op, s.sum + numberFor(op, value)), count: s.count + 1 } satisfies AvgState;
    }
    case "latest":
      if (value === undefined) throw new FoldError("latest needs a value, got no result");
      return value;
    case "collect": {
      if (value === undefined) throw new FoldError("collect needs a value, got no result");
      const items = state as unknown[];
      const keep = Math.min(items.length, maxItems - 1);
      const next = items.slice(items.length - keep);
      next.push(value);
      return next;
    }
  }
}

/** One state for two groups of records (`earlier`'s came first): how sessions bridged by a record become one. */
export function merge(op: AggregateOp, earlier: unknown, later: unknown, maxItems: number): unknown {
  switch (op) {
    case "count":
      return (earlier as number) + (later as number);
    case "sum":
      return finite(op, (earlier as number) + (later as number));
    case "min":
      return earlier === null ? later : later === null ? earlier : Math.min(earlier as number, later as number);
    case "max":
      return earlier === null ? later : later === null ? earlier : Math.max(earlier as number, later as number);
    case "avg": {
      const a = earlier as AvgState;
      const b = later as AvgState;
      return { sum: finite(op, a.sum + b.sum), count: a.count + b.count } satisfies AvgState;
    }
    case "latest":
      return later === null ? earlier : later;
    case "collect": {
      const all = (earlier as unknown[]).concat(later as unknown[]);
      return all.length > maxItems ? all.slice(all.length - maxItems) : all;
    }
  }
}

/** What a group's state emits: avg's mean (null before any value), the state itself otherwise. */
export function result(op: AggregateOp, state: unknown): unknown {
  if (op !== "avg") return state;
  const s = state as AvgState;
  return s.count === 0 ? null : s.sum / s.count;
}
