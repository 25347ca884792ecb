import { parseConfig } from "../../config.js";
import { failed, type BatchProcessor, type MRecord, type ProcessorImpl } from "../../sdk.js";
import { Expressions } from "../../user-code/expressions.js";
import { CustomReducer } from "./custom-reducer.js";
import { groupsOf } from "./groups.js";
import { fold, FoldError, initialState, result } from "./reduce.js";
import { spec, type AggregateConfig } from "./spec.js";
import { WindowedAggregate } from "./windowed.js";
import { windowPlan } from "./windows.js";

/**
 * Folds each record into its group's state in the partition's table the runner gives, and emits
 * the group's new result keyed by the group. The planner has already re-keyed the records by
 * `groupBy` (a set-key step before a repartition topic), so the record key is the group here.
 * With a window, WindowedAggregate does it per window of event time.
 */
export const impl: ProcessorImpl<AggregateConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    const c = parseConfig(spec, config);
    const op = c.op;
    const valueOf = c.value === undefined ? undefined : new Expressions([c.value], "value");
    const custom = op === undefined ? new CustomReducer(c.initial!, c.reduce!) : undefined;
    if (c.window) {
      return new WindowedAggregate({
        nodeId: ctx.nodeId,
        plan: windowPlan(c.window),
        fold: custom ?? { op: op!, maxItems: c.maxItems, value: valueOf },
        timestamp: c.timestamp === undefined ? undefined : new Expressions([c.timestamp], "value"),
      });
    }
    if (custom) {
      return {
        async process(records, out, state) {
          if (!state) throw new Error(`node "${ctx.nodeId}": an aggregate runs only in a stateful stage (the runner gives it its partition's table)`);
          const n = records.length;
          const groups = groupsOf(records, out, ctx.nodeId);
          const states = new Map<string, unknown>();
          for (let i = 0; i < n; i++) {
            const key = groups[i];
            if (key === undefined || states.has(key)) continue;
            const stored = state.get(key);
            if (stored !== undefined) states.set(key, stored);
          }
          const reduced = await custom.reduceBatch(records, groups, states);
          for (let i = 0; i < n; i++) {
            const key = groups[i];
            if (key === undefined) continue;
            const failure = reduced.failures.get(i);
            if (failure !== undefined) out.emit("failure", failed(records[i]!, failure, ctx.nodeId), i);
            else out.emit("success", { key, value: reduced.states[i], headers: records[i]!.headers }, i);
          }
          for (const [key, s] of states) state.put(key, s);
        },
      };
    }
    const builtIn = op!;
    const maxItems = c.maxItems;
    return {
      // One pass in record order, reading and writing the partition's table (a key changed
      // earlier in the batch reads its new state from the batch's own changes).
      async process(records, out, state) {
        if (!state) throw new Error(`node "${ctx.nodeId}": an aggregate runs only in a stateful stage (the runner gives it its partition's table)`);
        const n = records.length;
        const groups = groupsOf(records, out, ctx.nodeId);
        const values = valueOf ? await valuesOf(valueOf, records, groups, out, ctx.nodeId) : undefined;
        for (let i = 0; i < n; i++) {
          const key = groups[i];
          if (key === undefined) continue;
          const record = records[i]!;
          const stored = state.get(key);
          let after: unknown;
          try {
            after = fold(builtIn, stored === undefined ? initialState(builtIn) : stored, values ? values[i] : record.value, maxItems);
          } catch (e) {
            if (!(e instanceof FoldError)) throw e;
            out.emit("failure", failed(record, e.message, ctx.nodeId), i);
            continue;
          }
          state.put(key, after);
          out.emit("success", { key, value: result(builtIn, after), headers: record.headers }, i);
        }
      },
    };
  },
};

/** What `value` gives per record; a record whose expression fails goes to failure and is skipped. */
async function valuesOf(expr: Expressions, records: readonly MRecord[], groups: (string | undefined)[], out: { emit(port: string, r: MRecord, parent: number): void }, nodeId: string): Promise<unknown[]> {
  const { results, failures } = await expr.evaluate(records);
  for (const [i, f] of failures) {
    if (groups[i] === undefined) continue;
    groups[i] = undefined;
    out.emit("failure", failed(records[i]!, `value: ${f[1]}`, nodeId), i);
  }
  return results;
}
