import { parseConfig } from "../../config.js";
import { expressionTransform } from "../../expression-transform.js";
import type { BatchProcessor, ProcessorImpl } from "../../sdk.js";
import { spec, type FlatMapConfig } from "./spec.js";

export const NOT_ARRAY = "expression did not produce an array";

export const impl: ProcessorImpl<FlatMapConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    const c = parseConfig(spec, config);
    return expressionTransform(c.expression, "value", ctx, (r, v, i, out) => {
      if (!Array.isArray(v)) return `${NOT_ARRAY} (got ${v === undefined ? "no result" : v === null ? "null" : typeof v})`;
      for (let j = 0; j < v.length; j++) {
        const el = v[j];
        if (typeof el !== "function") out.emit("success", { key: r.key, value: el, headers: r.headers }, i);
      }
    });
  },
};
