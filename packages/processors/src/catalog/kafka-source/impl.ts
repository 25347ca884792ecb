import { parseConfig } from "../../config.js";
import { failed, HEADER, type BatchProcessor, type ProcessorImpl } from "../../sdk.js";
import { spec, type KafkaSourceConfig } from "./spec.js";

/**
 * The runner consumes the topic and hands each batch here; every record goes to `success` as is
 * (the runner has already named its principal by `principalRule`).
 */
export const impl: ProcessorImpl<KafkaSourceConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    parseConfig(spec, config);
    return {
      process(records, out) {
        for (let i = 0; i < records.length; i++) {
          const r = records[i]!;
          // the runner could not read it in the node's format: its reason goes with it to failure
          const unreadable = r.headers[HEADER.formatError];
          out.emit(unreadable === undefined ? "success" : "failure", unreadable === undefined ? r : failed(r, unreadable, ctx.nodeId), i);
        }
      },
    };
  },
  principalRule(config) {
    const c = parseConfig(spec, config);
    return c.principal === undefined ? { header: c.principalHeader } : { header: c.principalHeader, principal: c.principal };
  },
};
