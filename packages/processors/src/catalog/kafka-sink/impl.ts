import { compileExpression, errorMessage, toHeaderString } from "../../expr.js";
import { parseConfig } from "../../config.js";
import { failed, type BatchProcessor, type ProcessorImpl } from "../../sdk.js";
import { spec, type KafkaSinkConfig } from "./spec.js";

/** Computes the key; the runner produces the `success` records of this node to `spec.externalTopic`. */
export const impl: ProcessorImpl<KafkaSinkConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    const c = parseConfig(spec, config);
    const keyExpr = c.keyExpression ? compileExpression(c.keyExpression) : undefined;
    if (!keyExpr) {
      return {
        process(records, out) {
          for (let i = 0; i < records.length; i++) out.emit("success", records[i], i);
        },
      };
    }
    return {
      async process(records, out) {
        for (let i = 0; i < records.length; i++) {
          const r = records[i];
          let key: string | undefined;
          try {
            key = toHeaderString(await keyExpr.evaluateRecord(r));
          } catch (e) {
            out.emit("failure", failed(r, `key: ${errorMessage(e)}`, ctx.nodeId), i);
            continue;
          }
          out.emit("success", key === r.key ? r : { key, value: r.value, headers: r.headers }, i);
        }
      },
    };
  },
};
