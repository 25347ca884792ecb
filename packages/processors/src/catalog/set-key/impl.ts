import { toHeaderString } from "../../expr.js";
import { parseConfig } from "../../config.js";
import { expressionTransform } from "../../expression-transform.js";
import type { BatchProcessor, ProcessorImpl } from "../../sdk.js";
import { spec, type SetKeyConfig } from "./spec.js";

export const NO_KEY = "expression produced no key";

export const impl: ProcessorImpl<SetKeyConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    const c = parseConfig(spec, config);
    return expressionTransform(c.expression, "header", ctx, (r, v, i, out) => {
      if (v === undefined) return NO_KEY;
      out.emit("success", { key: toHeaderString(v), value: r.value, headers: r.headers }, i);
    });
  },
};
