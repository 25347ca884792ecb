import { toHeaderString } from "../../expr.js";
import { parseConfig } from "../../config.js";
import { failed, type BatchProcessor, type ProcessorImpl } from "../../sdk.js";
import { Expressions } from "../../user-code/expressions.js";
import { spec, type KafkaSinkConfig } from "./spec.js";

/** Computes the key; the runner produces the `success` records of this node to `spec.externalTopic`. */
export const impl: ProcessorImpl<KafkaSinkConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    const c = parseConfig(spec, config);
    const keyExpr = c.keyExpression ? new Expressions([c.keyExpression], "header") : undefined;
    if (!keyExpr) {
      return {
        process(records, out) {
          for (let i = 0; i < records.length; i++) out.emit("success", records[i], i);
        },
      };
    }
    return {
      async process(records, out) {
        const { results, failures } = await keyExpr.evaluate(records);
        for (let i = 0; i < records.length; i++) {
          const r = records[i]!;
          const failure = failures.size ? failures.get(i) : undefined;
          if (failure) {
            out.emit("failure", failed(r, `key: ${failure[1]}`, ctx.nodeId), i);
            continue;
          }
          const key = toHeaderString(results[i]);
          out.emit("success", key === r.key ? r : { key, value: r.value, headers: r.headers }, i);
        }
      },
    };
  },
};
