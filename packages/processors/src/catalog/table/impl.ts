import { parseConfig } from "../../config.js";
import { failed, type BatchProcessor, type ProcessorImpl } from "../../sdk.js";
import { tableWrite } from "./changes.js";
import { spec, type TableConfig } from "./spec.js";

/**
 * Writes each record's value as its key's row (null deletes) in the partition's table the runner
 * gives, and emits the change. The planner has already re-keyed the records by the node's key
 * expression (a set-key step before a repartition topic), so the record key is the row key here.
 */
export const impl: ProcessorImpl<TableConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    parseConfig(spec, config);
    return {
      process(records, out, state) {
        if (!state) throw new Error(`node "${ctx.nodeId}": a table runs only in a stateful stage (the runner gives it its partition's table)`);
        for (let i = 0; i < records.length; i++) {
          const r = records[i]!;
          if (r.key === undefined) {
            out.emit("failure", failed(r, "the record has no key: a table row needs one (give the table a key expression)", ctx.nodeId), i);
            continue;
          }
          const value = r.value === undefined ? null : r.value;
          const write = tableWrite(value, state.get(r.key) !== undefined);
          if (write === "none") continue;
          if (write === "delete") state.delete(r.key);
          else state.put(r.key, value);
          out.emit("success", r, i);
        }
      },
    };
  },
};
