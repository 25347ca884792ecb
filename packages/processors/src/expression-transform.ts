import { errorMessage } from "./expr.js";
import { failed, type BatchProcessor, type MRecord, type Output, type ProcessorContext } from "./sdk.js";
import { Expressions } from "./user-code/expressions.js";
import type { ExpressionResultMode } from "./user-code/protocol.js";

/**
 * What a one-expression transform does with the expression's result for record `i`:
 * emit outputs, or return a reason string to send the record to `failure`.
 */
export type OnResult = (record: MRecord, result: unknown, index: number, out: Output) => string | void;

/**
 * The per-batch loop shared by filter, map, flat-map and set-key: compile once, evaluate the
 * batch (simple expressions here, the rest in the user-code pool), then turn each result, in
 * record order, into outputs, and any evaluation error or refusal into a `failure` record.
 */
export function expressionTransform(expression: string, mode: Exclude<ExpressionResultMode, "first-truthy">, ctx: ProcessorContext, onResult: OnResult): BatchProcessor {
  const exprs = new Expressions([expression], mode);
  return {
    async process(records, out) {
      const { results, failures } = await exprs.evaluate(records);
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!;
        let reason: string | void;
        const failure = failures.size ? failures.get(i) : undefined;
        if (failure) reason = failure[1];
        else {
          try {
            reason = onResult(r, results[i], i, out);
          } catch (e) {
            reason = errorMessage(e);
          }
        }
        if (reason !== undefined) out.emit("failure", failed(r, reason, ctx.nodeId), i);
      }
    },
  };
}
