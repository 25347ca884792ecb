import { parseConfig } from "../../config.js";
import { failed, type BatchProcessor, type ProcessorImpl } from "../../sdk.js";
import { Expressions } from "../../user-code/expressions.js";
import { spec, type SetHeadersConfig } from "./spec.js";

export const impl: ProcessorImpl<SetHeadersConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    const c = parseConfig(spec, config);
    const names = Object.keys(c.headers);
    const exprs = new Expressions(
      names.map((n) => c.headers[n]!),
      "header",
    );
    const n = names.length;
    return {
      async process(records, out) {
        const { results, failures } = await exprs.evaluate(records);
        for (let i = 0; i < records.length; i++) {
          const r = records[i]!;
          const failure = failures.size ? failures.get(i) : undefined;
          if (failure) {
            out.emit("failure", failed(r, `header '${names[failure[0]]}': ${failure[1]}`, ctx.nodeId), i);
            continue;
          }
          const headers: Record<string, string> = { ...r.headers };
          for (let k = 0; k < n; k++) {
            const v = results[i * n + k];
            if (typeof v === "string") headers[names[k]!] = v;
            else if (v === null) delete headers[names[k]!];
          }
          out.emit("success", { key: r.key, value: r.value, headers }, i);
        }
      },
    };
  },
};
