import { compileExpression, errorMessage, jsonataTruthy } from "../../expr.js";
import { parseConfig } from "../../config.js";
import { failed, type BatchProcessor, type ProcessorImpl } from "../../sdk.js";
import { spec, type FilterConfig } from "./spec.js";

export const impl: ProcessorImpl<FilterConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    const c = parseConfig(spec, config);
    const expr = compileExpression(c.expression);
    return {
      async process(records, out) {
        for (let i = 0; i < records.length; i++) {
          const r = records[i];
          let keep: unknown;
          try {
            keep = expr.evaluateRecord(r);
            if (keep instanceof Promise) keep = await keep; // compiled expressions answer at once: no microtask per record
          } catch (e) {
            out.emit("failure", failed(r, errorMessage(e), ctx.nodeId), i);
            continue;
          }
          if (jsonataTruthy(keep)) out.emit("success", r, i);
        }
      },
    };
  },
};
