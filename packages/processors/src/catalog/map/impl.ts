import { checkValue, compileExpression, errorMessage } from "../../expr.js";
import { parseConfig } from "../../config.js";
import { failed, type BatchProcessor, type ProcessorImpl } from "../../sdk.js";
import { spec, type MapConfig } from "./spec.js";

export const NO_VALUE = "expression produced no value";

export const impl: ProcessorImpl<MapConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    const c = parseConfig(spec, config);
    const expr = compileExpression(c.expression);
    return {
      async process(records, out) {
        for (let i = 0; i < records.length; i++) {
          const r = records[i];
          let v: unknown;
          try {
            v = expr.evaluateRecord(r);
            if (v instanceof Promise) v = await v; // compiled expressions answer at once: no microtask per record
            v = checkValue(v);
          } catch (e) {
            out.emit("failure", failed(r, errorMessage(e), ctx.nodeId), i);
            continue;
          }
          if (v === undefined) out.emit("failure", failed(r, NO_VALUE, ctx.nodeId), i);
          else out.emit("success", { key: r.key, value: v, headers: r.headers }, i);
        }
      },
    };
  },
};
