import { parseConfig } from "../../config.js";
import { failed, type BatchProcessor, type KeyValueState, type MRecord, type ProcessorImpl } from "../../sdk.js";
import { Expressions } from "../../user-code/expressions.js";
import { CustomReducer } from "./custom-reducer.js";
import { groupsOf } from "./groups.js";
import { foldBatch, result, type Reduced } from "./reduce.js";
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
    return {
      async process(records, out, state) {
        if (!state) throw new Error(`node "${ctx.nodeId}": an aggregate runs only in a stateful stage (the runner gives it its partition's table)`);
        const n = records.length;
        const groups = groupsOf(records, out, ctx.nodeId);
        const states = new Map<string, unknown>();
        for (let i = 0; i < n; i++) {
          const key = groups[i];
          if (key === undefined) continue;
          if (!states.has(key)) {
            const stored = state.get(key);
            if (stored !== undefined) states.set(key, stored);
          }
        }
        let reduced: Reduced;
        if (custom) reduced = await custom.reduceBatch(records, groups, states);
        else {
          const values = await valuesOf(valueOf, records, groups, out, ctx.nodeId);
          reduced = foldBatch(op!, c.maxItems, groups, values, states);
        }
        for (let i = 0; i < n; i++) {
          const key = groups[i];
          if (key === undefined) continue;
          const failure = reduced.failures.get(i);
          if (failure !== undefined) {
            out.emit("failure", failed(records[i]!, failure, ctx.nodeId), i);
            continue;
          }
          out.emit("success", { key, value: custom ? reduced.states[i] : result(op!, reduced.states[i]), headers: records[i]!.headers }, i);
        }
        writeBack(state, states);
      },
    };
  },
};

/** What `value` gives per record (the record's value without it); a record whose expression fails goes to failure and is skipped. */
async function valuesOf(expr: Expressions | undefined, records: readonly MRecord[], groups: (string | undefined)[], out: { emit(port: string, r: MRecord, parent: number): void }, nodeId: string): Promise<unknown[]> {
  if (!expr) return records.map((r) => r.value);
  const { results, failures } = await expr.evaluate(records);
  for (const [i, f] of failures) {
    if (groups[i] === undefined) continue;
    groups[i] = undefined;
    out.emit("failure", failed(records[i]!, `value: ${f[1]}`, nodeId), i);
  }
  return results;
}

function writeBack(state: KeyValueState, states: Map<string, unknown>): void {
  for (const [key, s] of states) state.put(key, s);
}
