import { compileExpression, errorMessage } from "../../expr.js";
import { parseConfig } from "../../config.js";
import { failed, type BatchProcessor, type ProcessorImpl } from "../../sdk.js";
import { spec, type FlatMapConfig } from "./spec.js";

export const NOT_ARRAY = "expression did not produce an array";

export const impl: ProcessorImpl<FlatMapConfig> = {
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
            v = await expr.evaluateRecord(r);
          } catch (e) {
            out.emit("failure", failed(r, errorMessage(e), ctx.nodeId), i);
            continue;
          }
          if (!Array.isArray(v)) {
            const got = v === undefined ? "no result" : v === null ? "null" : typeof v;
            out.emit("failure", failed(r, `${NOT_ARRAY} (got ${got})`, ctx.nodeId), i);
            continue;
          }
          for (let j = 0; j < v.length; j++) {
            const el = v[j];
            if (typeof el === "function") continue;
            out.emit("success", { key: r.key, value: el, headers: r.headers }, i);
          }
        }
      },
    };
  },
};
