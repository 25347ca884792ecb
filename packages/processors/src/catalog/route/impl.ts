import { parseConfig } from "../../config.js";
import { failed, type BatchProcessor, type ProcessorImpl } from "../../sdk.js";
import { Expressions } from "../../user-code/expressions.js";
import { spec, type RouteConfig } from "./spec.js";

export const impl: ProcessorImpl<RouteConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    const c = parseConfig(spec, config);
    const names: string[] = c.routes.map((r) => r.name);
    const exprs = new Expressions(
      c.routes.map((r) => r.expression),
      "first-truthy",
    );
    return {
      async process(records, out) {
        const { results, failures } = await exprs.evaluate(records);
        for (let i = 0; i < records.length; i++) {
          const r = records[i]!;
          const failure = failures.size ? failures.get(i) : undefined;
          if (failure) {
            out.emit("failure", failed(r, `route '${names[failure[0]]}': ${failure[1]}`, ctx.nodeId), i);
            continue;
          }
          const chosen = results[i] as number;
          out.emit(chosen >= 0 ? names[chosen]! : "unmatched", r, i);
        }
      },
    };
  },
};
