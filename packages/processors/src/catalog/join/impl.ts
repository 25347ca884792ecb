import { parseConfig } from "../../config.js";
import { failed, type BatchProcessor, type ProcessorImpl } from "../../sdk.js";
import { Expressions } from "../../user-code/expressions.js";
import { KeyError, keyOf } from "../table/key.js";
import { Merger } from "./merge.js";
import { spec, type JoinConfig } from "./spec.js";

/** Looks each record's key up in the table the runner keeps a copy of (`ctx.lookup`), then merges. */
export const impl: ProcessorImpl<JoinConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    const c = parseConfig(spec, config);
    const lookup = ctx.lookup;
    if (!lookup) throw new Error(`node "${ctx.nodeId}": a join needs its table, which the runner gives it`);
    const keys = new Expressions([c.key], "value");
    const merger = new Merger(c.merge, c.type);
    return {
      async process(records, out) {
        const n = records.length;
        const { results, failures } = await keys.evaluate(records);
        const rows = new Array<unknown>(n);
        const failed_ = new Map<number, string>();
        for (let i = 0; i < n; i++) {
          const f = failures.get(i);
          if (f) {
            failed_.set(i, `key: ${f[1]}`);
            continue;
          }
          try {
            rows[i] = lookup(keyOf(records[i]!, results[i], true, "the join's key"));
          } catch (e) {
            if (!(e instanceof KeyError)) throw e;
            failed_.set(i, e.message);
          }
        }
        const live = records.filter((_, i) => !failed_.has(i));
        const at = records.map((_, i) => i).filter((i) => !failed_.has(i));
        const merged = await merger.mergeBatch(live, at.map((i) => rows[i]));
        for (const [i, reason] of failed_) out.emit("failure", failed(records[i]!, reason, ctx.nodeId), i);
        at.forEach((i, j) => {
          const reason = merged.failures.get(j);
          if (reason !== undefined) out.emit("failure", failed(records[i]!, `merge: ${reason}`, ctx.nodeId), i);
          else if (merged.values[j] !== undefined) out.emit("success", { ...(records[i]!.key === undefined ? {} : { key: records[i]!.key }), value: merged.values[j], headers: records[i]!.headers }, i);
        });
      },
    };
  },
};
