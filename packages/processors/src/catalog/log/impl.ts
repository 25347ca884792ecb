import { parseConfig } from "../../config.js";
import type { BatchProcessor, ProcessorImpl } from "../../sdk.js";
import { spec, type LogConfig } from "./spec.js";

const MAX = 1000;

export const impl: ProcessorImpl<LogConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    const c = parseConfig(spec, config);
    if (!c.print) return { process() {} };
    return {
      process(records) {
        for (const r of records) {
          let text: string;
          try {
            text = JSON.stringify({ key: r.key, value: r.value, headers: r.headers }) ?? "undefined";
          } catch (e) {
            text = `<unprintable: ${String(e)}>`;
          }
          ctx.log(c.level, text.length > MAX ? text.slice(0, MAX) + "…" : text);
        }
      },
    };
  },
};
