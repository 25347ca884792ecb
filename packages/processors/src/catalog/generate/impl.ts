import { compileExpression, errorMessage } from "../../expr.js";
import { parseConfig, sleep } from "../../config.js";
import type { MRecord, ProcessorImpl, SourceProcessor } from "../../sdk.js";
import { spec, type GenerateConfig } from "./spec.js";

/** Longest a poll waits for the next token, so stops and back pressure stay responsive. */
const MAX_WAIT_MS = 200;
const EMPTY = Object.freeze({});

export const impl: ProcessorImpl<GenerateConfig> = {
  type: spec.type,
  create(config, ctx): SourceProcessor {
    const c = parseConfig(spec, config);
    const template = compileExpression(c.template);
    const rate = c.ratePerSec;
    const burst = Math.max(1, rate);
    let seq = 0;
    let tokens = 0;
    let last = 0;
    let errorsLogged = 0;
    const bindings: { i: number } = { i: 0 };
    return {
      open(checkpoint) {
        if (typeof checkpoint === "number" && Number.isInteger(checkpoint) && checkpoint >= 0) seq = checkpoint;
      },
      async poll(max) {
        if (c.count > 0 && seq >= c.count) return { records: [], checkpoint: seq, done: true };
        let n = Math.max(0, Math.floor(max));
        if (c.count > 0) n = Math.min(n, c.count - seq);
        if (rate > 0) {
          const now = performance.now();
          if (last === 0) {
            last = now;
            tokens = Math.min(1, burst);
          } else {
            tokens = Math.min(burst, tokens + ((now - last) * rate) / 1000);
            last = now;
          }
          if (tokens < 1) {
            const wait = Math.min(MAX_WAIT_MS, Math.ceil(((1 - tokens) * 1000) / rate));
            await sleep(wait, ctx.signal);
            const t = performance.now();
            tokens = Math.min(burst, tokens + ((t - last) * rate) / 1000);
            last = t;
          }
          n = Math.min(n, Math.floor(tokens));
          tokens -= n;
        }
        const records: MRecord[] = [];
        for (let k = 0; k < n; k++) {
          bindings.i = seq;
          seq++;
          try {
            const value = await template.evaluate(EMPTY, bindings);
            if (value === undefined || typeof value === "function") throw new Error("template produced no value");
            records.push({ value, headers: {} });
          } catch (e) {
            if (errorsLogged++ < 10) ctx.log("warn", `generate: skipped $i=${seq - 1}: ${errorMessage(e)}`);
          }
        }
        const done = c.count > 0 && seq >= c.count;
        return { records, checkpoint: seq, done };
      },
    };
  },
};
