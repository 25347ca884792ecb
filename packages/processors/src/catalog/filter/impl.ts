import { jsonataTruthy } from "../../expr.js";
import { parseConfig } from "../../config.js";
import { expressionTransform } from "../../expression-transform.js";
import type { BatchProcessor, ProcessorImpl } from "../../sdk.js";
import { spec, type FilterConfig } from "./spec.js";

export const impl: ProcessorImpl<FilterConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    const c = parseConfig(spec, config);
    return expressionTransform(c.expression, "truthy", ctx, (r, keep, i, out) => {
      if (jsonataTruthy(keep)) out.emit("success", r, i);
    });
  },
};
