import { compileExpression, errorMessage, jsonataTruthy, type CompiledExpression } from "../../expr.js";
import { parseConfig } from "../../config.js";
import { failed, type BatchProcessor, type ProcessorImpl } from "../../sdk.js";
import { spec, type RouteConfig } from "./spec.js";

export const impl: ProcessorImpl<RouteConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    const c = parseConfig(spec, config);
    const names: string[] = c.routes.map((r) => r.name);
    const exprs: CompiledExpression[] = c.routes.map((r) => compileExpression(r.expression));
    const n = exprs.length;
    return {
      async process(records, out) {
        outer: for (let i = 0; i < records.length; i++) {
          const r = records[i];
          for (let k = 0; k < n; k++) {
            let v: unknown;
            try {
              v = await exprs[k].evaluateRecord(r);
            } catch (e) {
              out.emit("failure", failed(r, `route '${names[k]}': ${errorMessage(e)}`, ctx.nodeId), i);
              continue outer;
            }
            if (jsonataTruthy(v)) {
              out.emit(names[k], r, i);
              continue outer;
            }
          }
          out.emit("unmatched", r, i);
        }
      },
    };
  },
};
