import { toHeaderString } from "../../expr.js";
import { parseConfig } from "../../config.js";
import { failed, HEADER, type BatchProcessor, type ProcessorImpl } from "../../sdk.js";
import { Expressions } from "../../user-code/expressions.js";
import { spec, type KafkaSinkConfig } from "./spec.js";

/**
 * Computes the key (and with topicExpression each record's topic, named in HEADER.topic); the
 * runner produces the `success` records of this node to `spec.externalTopic` (or the one named).
 */
export const impl: ProcessorImpl<KafkaSinkConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    const c = parseConfig(spec, config);
    if (!c.keyExpression && !c.topicExpression) {
      return {
        process(records, out) {
          for (let i = 0; i < records.length; i++) out.emit("success", records[i], i);
        },
      };
    }
    const sources = [c.keyExpression, c.topicExpression].filter((s): s is string => s !== undefined);
    const exprs = new Expressions(sources, "header");
    const width = exprs.width;
    const topicAt = c.topicExpression === undefined ? -1 : sources.length - 1;
    const keyAt = c.keyExpression === undefined ? -1 : 0;
    const allowed = new Set([c.topic, ...(c.topics ?? [])]);
    const allowedList = [...allowed].join(", ");
    return {
      async process(records, out) {
        const { results, failures } = await exprs.evaluate(records);
        for (let i = 0; i < records.length; i++) {
          const r = records[i]!;
          const failure = failures.size ? failures.get(i) : undefined;
          if (failure) {
            out.emit("failure", failed(r, `${failure[0] === topicAt ? "topic" : "key"}: ${failure[1]}`, ctx.nodeId), i);
            continue;
          }
          const key = keyAt < 0 ? r.key : toHeaderString(results[i * width + keyAt]);
          if (topicAt < 0) {
            out.emit("success", key === r.key ? r : { key, value: r.value, headers: r.headers }, i);
            continue;
          }
          const topic = toHeaderString(results[i * width + topicAt]) ?? c.topic;
          if (!allowed.has(topic)) {
            out.emit("failure", failed(r, `topic: "${topic}" is not a topic this sink may write (${allowedList}): add it to topics`, ctx.nodeId), i);
            continue;
          }
          // a headers object of its own: the runner takes HEADER.topic out of it when it writes the record
          out.emit("success", { key, value: r.value, headers: { ...r.headers, [HEADER.topic]: topic } }, i);
        }
      },
    };
  },
};
