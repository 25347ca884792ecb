import { compileExpression } from "../../expr.js";
import { Expressions } from "../../user-code/expressions.js";
import { parseConfig, sleep } from "../../config.js";
import type { MRecord, ProcessorImpl, SourceProcessor } from "../../sdk.js";
import { spec, type GenerateConfig } from "./spec.js";

/** Longest a poll waits for the next token, so stops and back pressure stay responsive. */
const MAX_WAIT_MS = 200;
const NO_HEADERS = Object.freeze({}) as Record<string, string>;

export const impl: ProcessorImpl<GenerateConfig> = {
  type: spec.type,
  create(config, ctx): SourceProcessor {
    const c = parseConfig(spec, config);
    // compiled here first so a syntax error names the template's own positions
    compileExpression(c.template);
    // The template runs in the user-code pool like every other expression, so one that never
    // ends (a catastrophic regex, a runaway recursion) or fills the heap skips its $i instead of
    // freezing the engine. Each record's value there is its sequence number, bound to $i.
    const template = new Expressions([`($i := value; (${c.template}\n))`], "value");
    const rate = c.ratePerSec;
    const burst = Math.max(1, rate);
    let seq = 0;
    let tokens = 0;
    let last = 0;
    let errorsLogged = 0;
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
        const seqs: MRecord[] = new Array(n);
        for (let k = 0; k < n; k++) seqs[k] = { value: seq + k, headers: NO_HEADERS };
        seq += n;
        const records: MRecord[] = [];
        if (n > 0) {
          const { results, failures } = await template.evaluate(seqs);
          for (let k = 0; k < n; k++) {
            const failure = failures.get(k);
            const value = results[k];
            const reason = failure ? failure[1] : value === undefined || typeof value === "function" ? "template produced no value" : undefined;
            if (reason === undefined) records.push({ value, headers: {} });
            else if (errorsLogged++ < 10) ctx.log("warn", `generate: skipped $i=${seqs[k]!.value as number}: ${reason}`);
          }
        }
        const done = c.count > 0 && seq >= c.count;
        return { records, checkpoint: seq, done };
      },
    };
  },
};
