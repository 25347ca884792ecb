import { parseConfig } from "../../config.js";
import type { BatchProcessor, ProcessorImpl } from "../../sdk.js";
import { spec, type KafkaSourceConfig } from "./spec.js";

/**
 * The runner consumes the topic and hands each batch here; every record goes to `success` as is
 * (the runner has already named its principal by `principalRule`).
 */
export const impl: ProcessorImpl<KafkaSourceConfig> = {
  type: spec.type,
  create(config): BatchProcessor {
    parseConfig(spec, config);
    return {
      process(records, out) {
        for (let i = 0; i < records.length; i++) out.emit("success", records[i], i);
      },
    };
  },
  principalRule(config) {
    const c = parseConfig(spec, config);
    return c.principal === undefined ? { header: c.principalHeader } : { header: c.principalHeader, principal: c.principal };
  },
};
