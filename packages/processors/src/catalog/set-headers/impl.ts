import { compileExpression, errorMessage, toHeaderString, type CompiledExpression } from "../../expr.js";
import { parseConfig } from "../../config.js";
import { failed, type BatchProcessor, type ProcessorImpl } from "../../sdk.js";
import { spec, type SetHeadersConfig } from "./spec.js";

export const impl: ProcessorImpl<SetHeadersConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    const c = parseConfig(spec, config);
    const names = Object.keys(c.headers);
    const exprs: CompiledExpression[] = names.map((n) => compileExpression(c.headers[n]));
    const n = names.length;
    return {
      async process(records, out) {
        const results: unknown[] = new Array(n);
        next: for (let i = 0; i < records.length; i++) {
          const r = records[i];
          for (let k = 0; k < n; k++) {
            try {
              const v = await exprs[k].evaluateRecord(r);
              results[k] = v === null ? null : toHeaderString(v);
            } catch (e) {
              out.emit("failure", failed(r, `header '${names[k]}': ${errorMessage(e)}`, ctx.nodeId), i);
              continue next;
            }
          }
          const headers: Record<string, string> = { ...r.headers };
          for (let k = 0; k < n; k++) {
            const v = results[k];
            if (typeof v === "string") headers[names[k]] = v;
            else if (v === null) delete headers[names[k]];
          }
          out.emit("success", { key: r.key, value: r.value, headers }, i);
        }
      },
    };
  },
};
