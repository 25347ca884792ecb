import { failed, TABLE_KEY, type BatchProcessor, type KeyValueState, type MRecord, type Output } from "../../sdk.js";
import type { Expressions } from "../../user-code/expressions.js";
import { CustomReducer } from "./custom-reducer.js";
import { groupsOf } from "./groups.js";
import { fold, FoldError, initialState, merge, result } from "./reduce.js";
import type { AggregateOp } from "./spec.js";
import { eventTimeOf, evictWindows, latestEventTime, firstOpenWindow, isOpen, placeInSession, sessionReach, windowEntry, windowHeaders, windowsOf, type WindowEntry, type WindowPlan } from "./windows.js";

/** A built-in op as a windowed aggregate folds it; `value` absent: the record's whole value. */
export interface OpFold {
  op: AggregateOp;
  maxItems: number;
  value: Expressions | undefined;
}

export interface WindowedOptions {
  nodeId: string;
  plan: WindowPlan;
  /** a built-in op, or a custom reducer (tumbling and hopping only: two reducer states cannot be merged) */
  fold: OpFold | CustomReducer;
  /** the event time of a record (absent: its Kafka timestamp) */
  timestamp: Expressions | undefined;
}

/** A key's table row: its windows sorted by start, each with its op's or reducer's state. */
type Windows = WindowEntry<unknown>[];

const NO_TIMESTAMP = "the record has no Kafka timestamp: give the aggregate a timestamp expression";
/** windowEntry's initial state where the caller sets the state right after */
const UNSET = (): unknown => undefined;
/** placeInSession's merge where the caller has merged the states already (and sets the result) */
const KEEP_EARLIER = (earlier: unknown): unknown => earlier;

/**
 * The aggregate with a window: per record, its event time moves the partition's stream time (the
 * latest event time seen, kept in the table under TABLE_KEY.streamTime so a restart restores it
 * from the changelog like any row), and the record is folded into each of its windows still open
 * (grace), each emitting its new result keyed by the group with the window in headers; a record
 * whose windows are all closed goes to `late` unchanged. A session a record merges or extends has
 * its result under the old bounds deleted downstream: a null value with those bounds first.
 * A key's closed windows, and its oldest beyond maxPerKey, leave its row when it next gets records.
 *
 * Batch contract of the table: one read per key and batch, the writes at the end.
 */
export class WindowedAggregate implements BatchProcessor {
  /** a record's next state per window, folded before any is stored (a refused value changes none) */
  private readonly nextStates: unknown[] = [];

  constructor(private readonly o: WindowedOptions) {
    if (o.plan.type === "session" && o.fold instanceof CustomReducer) throw new Error("a custom reducer cannot merge two sessions: use op, or a tumbling or hopping window");
  }

  async process(records: readonly MRecord[], out: Output, state?: KeyValueState): Promise<void> {
    if (!state) throw new Error(`node "${this.o.nodeId}": an aggregate runs only in a stateful stage (the runner gives it its partition's table)`);
    const groups = groupsOf(records, out, this.o.nodeId);
    const times = await this.eventTimes(records, groups, out);
    const batch = new BatchWindows(state);
    const f = this.o.fold;
    if (f instanceof CustomReducer) await this.reduceCustom(f, records, groups, times, batch, out);
    else await this.foldOp(f, records, groups, times, batch, out);
    batch.write(this.o.plan);
  }

  /**
   * Record i's event time; a record without a usable one (none, not an instant, too far after the
   * clock to let it move the stream time) goes to failure (its group becomes undefined).
   */
  private async eventTimes(records: readonly MRecord[], groups: (string | undefined)[], out: Output): Promise<number[]> {
    const n = records.length;
    const times = new Array<number>(n);
    const evaluated = this.o.timestamp ? await this.o.timestamp.evaluate(records) : undefined;
    const latest = latestEventTime(Date.now());
    for (let i = 0; i < n; i++) {
      if (groups[i] === undefined) continue;
      let t: number | string;
      if (evaluated) {
        const failure = evaluated.failures.get(i);
        t = failure ? `timestamp: ${failure[1]}` : eventTimeOf(evaluated.results[i], latest);
      } else {
        const ts = records[i]!.timestamp;
        t = ts === undefined ? NO_TIMESTAMP : eventTimeOf(ts, latest);
      }
      if (typeof t === "number") times[i] = t;
      else {
        groups[i] = undefined;
        out.emit("failure", failed(records[i]!, t, this.o.nodeId), i);
      }
    }
    return times;
  }

  private async foldOp(f: OpFold, records: readonly MRecord[], groups: readonly (string | undefined)[], times: readonly number[], batch: BatchWindows, out: Output): Promise<void> {
    const evaluated = f.value ? await f.value.evaluate(records) : undefined;
    for (let i = 0; i < records.length; i++) {
      const key = groups[i];
      if (key === undefined) continue;
      const t = times[i]!;
      batch.advance(t);
      const valueFailure = evaluated?.failures.get(i);
      const failure = valueFailure ? `value: ${valueFailure[1]}` : undefined;
      const value = evaluated ? evaluated.results[i] : records[i]!.value;
      if (this.o.plan.type === "session") this.foldSession(f, records[i]!, i, key, t, value, failure, batch, out);
      else this.foldFixed(f, records[i]!, i, key, t, value, failure, batch, out);
    }
  }

  /** Tumbling and hopping windows, built-in op. */
  private foldFixed(f: OpFold, r: MRecord, i: number, key: string, t: number, value: unknown, failure: string | undefined, batch: BatchWindows, out: Output): void {
    const plan = this.o.plan;
    const { first, count } = windowsOf(t, plan);
    const open = firstOpenWindow(t, batch.streamTime, plan);
    // read even for a late record: the batch's end evicts the key's closed windows
    const windows = batch.of(key);
    if (open === count) return out.emit("late", r, i);
    if (failure !== undefined) return out.emit("failure", failed(r, failure, this.o.nodeId), i);
    const next = this.nextStates;
    try {
      for (let w = open; w < count; w++) {
        const existing = findWindow(windows, first + w * plan.advanceMs);
        next[w - open] = fold(f.op, existing ? existing.state : initialState(f.op), value, f.maxItems);
      }
    } catch (e) {
      if (!(e instanceof FoldError)) throw e;
      return out.emit("failure", failed(r, e.message, this.o.nodeId), i);
    }
    for (let w = open; w < count; w++) {
      const start = first + w * plan.advanceMs;
      const end = start + plan.sizeMs;
      const state = next[w - open];
      windowEntry(windows, start, end, UNSET).state = state;
      out.emit("success", { key, value: result(f.op, state), headers: windowHeaders(r.headers, start, end), timestamp: t }, i);
    }
    batch.changed(key);
  }

  /** Sessions, built-in op: the record joins (and bridges) the sessions within gap of it, or starts one. */
  private foldSession(f: OpFold, r: MRecord, i: number, key: string, t: number, value: unknown, failure: string | undefined, batch: BatchWindows, out: Output): void {
    const plan = this.o.plan;
    const windows = batch.of(key);
    const { lo, hi } = sessionReach(windows, t, plan.gapMs);
    let end = t;
    for (let k = lo; k < hi; k++) if (windows[k]!.end > end) end = windows[k]!.end;
    // the session the record would be in is closed (as isSessionOpen says of it)
    if (!isOpen(end + plan.gapMs + 1, batch.streamTime, plan.graceMs)) return out.emit("late", r, i);
    if (failure !== undefined) return out.emit("failure", failed(r, failure, this.o.nodeId), i);
    let next: unknown;
    try {
      let merged = hi > lo ? windows[lo]!.state : initialState(f.op);
      for (let k = lo + 1; k < hi; k++) merged = merge(f.op, merged, windows[k]!.state, f.maxItems);
      next = fold(f.op, merged, value, f.maxItems);
    } catch (e) {
      if (!(e instanceof FoldError)) throw e;
      return out.emit("failure", failed(r, e.message, this.o.nodeId), i);
    }
    const { session, replaced } = placeInSession(windows, t, plan, UNSET, KEEP_EARLIER);
    session.state = next;
    for (const old of replaced) out.emit("success", { key, value: null, headers: windowHeaders(r.headers, old.start, old.end), timestamp: t }, i);
    out.emit("success", { key, value: result(f.op, next), headers: windowHeaders(r.headers, session.start, session.end), timestamp: t }, i);
    batch.changed(key);
  }

  /**
   * Tumbling and hopping windows, custom reducer: each (record, open window) pair is one reduction,
   * its group the window of the key, so CustomReducer batches them as it batches groups.
   */
  private async reduceCustom(reducer: CustomReducer, records: readonly MRecord[], groups: readonly (string | undefined)[], times: readonly number[], batch: BatchWindows, out: Output): Promise<void> {
    const plan = this.o.plan;
    const pairRecords: MRecord[] = [];
    const pairGroups: string[] = [];
    const pairOf: number[] = [];
    const pairStart: number[] = [];
    const states = new Map<string, unknown>();
    for (let i = 0; i < records.length; i++) {
      const key = groups[i];
      if (key === undefined) continue;
      const t = times[i]!;
      batch.advance(t);
      const { first, count } = windowsOf(t, plan);
      const open = firstOpenWindow(t, batch.streamTime, plan);
      const windows = batch.of(key);
      if (open === count) {
        out.emit("late", records[i]!, i);
        continue;
      }
      for (let w = open; w < count; w++) {
        const start = first + w * plan.advanceMs;
        // a start has no space: the first one splits the id
        const id = `${start} ${key}`;
        if (!states.has(id)) {
          const existing = findWindow(windows, start);
          if (existing) states.set(id, existing.state);
        }
        pairRecords.push(records[i]!);
        pairGroups.push(id);
        pairOf.push(i);
        pairStart.push(start);
      }
    }
    if (!pairRecords.length) return;
    const reduced = await reducer.reduceBatch(pairRecords, pairGroups, states);
    // a record failing in one of its windows (its state there) goes to failure once; its other windows take it
    let lastFailed = -1;
    for (let j = 0; j < pairRecords.length; j++) {
      const i = pairOf[j]!;
      const key = groups[i]!;
      const start = pairStart[j]!;
      const failure = reduced.failures.get(j);
      if (failure !== undefined) {
        if (lastFailed !== i) out.emit("failure", failed(records[i]!, failure, this.o.nodeId), i);
        lastFailed = i;
        continue;
      }
      out.emit("success", { key, value: reduced.states[j], headers: windowHeaders(records[i]!.headers, start, start + plan.sizeMs), timestamp: times[i]! }, i);
      windowEntry(batch.of(key), start, start + plan.sizeMs, UNSET).state = states.get(pairGroups[j]!);
      batch.changed(key);
    }
  }
}

/** The window of `windows` (sorted by start) starting at `start`; the recent ones are at the end. */
function findWindow(windows: Windows, start: number): WindowEntry<unknown> | undefined {
  for (let i = windows.length - 1; i >= 0; i--) {
    const s = windows[i]!.start;
    if (s === start) return windows[i];
    if (s < start) return undefined;
  }
  return undefined;
}

/**
 * A row as a key's windows, copied so the batch changes its own objects (the table's reads may
 * be its pending writes, which a retried batch must find unchanged). Anything else (a row of the
 * aggregate without a window, before its config changed) starts the key afresh.
 */
function windowsFrom(row: unknown): Windows {
  if (!Array.isArray(row)) return [];
  const windows: Windows = [];
  for (const e of row as unknown[]) {
    const w = e as Partial<WindowEntry<unknown>> | null;
    if (w && typeof w.start === "number" && typeof w.end === "number") windows.push({ start: w.start, end: w.end, state: w.state });
  }
  return windows;
}

/** One batch's view of the partition: its stream time and the windows of the keys it touched. */
class BatchWindows {
  streamTime: number;
  private readonly storedTime: number;
  private readonly byKey = new Map<string, Windows>();
  private readonly changedKeys = new Set<string>();

  constructor(private readonly state: KeyValueState) {
    const stored = state.get(TABLE_KEY.streamTime);
    // none yet: -1 is before every event time, so no window is closed
    this.streamTime = this.storedTime = typeof stored === "number" ? stored : -1;
  }

  advance(t: number): void {
    if (t > this.streamTime) this.streamTime = t;
  }

  of(key: string): Windows {
    let windows = this.byKey.get(key);
    if (windows === undefined) {
      windows = windowsFrom(this.state.get(key));
      this.byKey.set(key, windows);
    }
    return windows;
  }

  changed(key: string): void {
    this.changedKeys.add(key);
  }

  /** Evicts the touched keys' closed windows at the batch's stream time, then writes what changed. */
  write(plan: WindowPlan): void {
    for (const [key, windows] of this.byKey) {
      if (evictWindows(windows, this.streamTime, plan) > 0) this.changedKeys.add(key);
      if (!this.changedKeys.has(key)) continue;
      if (windows.length) this.state.put(key, windows);
      else this.state.delete(key);
    }
    if (this.streamTime > this.storedTime) this.state.put(TABLE_KEY.streamTime, this.streamTime);
  }
}
