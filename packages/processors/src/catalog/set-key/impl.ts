import { compileExpression, errorMessage, toHeaderString } from "../../expr.js";
import { parseConfig } from "../../config.js";
import { failed, type BatchProcessor, type ProcessorImpl } from "../../sdk.js";
import { spec, type SetKeyConfig } from "./spec.js";

export const NO_KEY = "expression produced no key";

export const impl: ProcessorImpl<SetKeyConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    const c = parseConfig(spec, config);
    const expr = compileExpression(c.expression);
    return {
      async process(records, out) {
        for (let i = 0; i < records.length; i++) {
          const r = records[i];
          let key: string | undefined;
          try {
            const v = await expr.evaluateRecord(r);
            if (v === undefined) {
              out.emit("failure", failed(r, NO_KEY, ctx.nodeId), i);
              continue;
            }
            key = toHeaderString(v);
          } catch (e) {
            out.emit("failure", failed(r, errorMessage(e), ctx.nodeId), i);
            continue;
          }
          out.emit("success", { key, value: r.value, headers: r.headers }, i);
        }
      },
    };
  },
};
