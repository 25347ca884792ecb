import { checkValue } from "../../expr.js";
import { parseConfig } from "../../config.js";
import { expressionTransform } from "../../expression-transform.js";
import type { BatchProcessor, ProcessorImpl } from "../../sdk.js";
import { spec, type MapConfig } from "./spec.js";

export const NO_VALUE = "expression produced no value";

export const impl: ProcessorImpl<MapConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    const c = parseConfig(spec, config);
    return expressionTransform(c.expression, "value", ctx, (r, v, i, out) => {
      if (checkValue(v) === undefined) return NO_VALUE;
      out.emit("success", { key: r.key, value: v, headers: r.headers }, i);
    });
  },
};
