import { compileExpression, errorMessage } from "./expr.js";
import { failed, type BatchProcessor, type MRecord, type Output, type ProcessorContext } from "./sdk.js";

/**
 * What a one-expression transform does with the expression's result for record `i`:
 * emit outputs, or return a reason string to send the record to `failure`.
 */
export type OnResult = (record: MRecord, result: unknown, index: number, out: Output) => string | void;

/**
 * The per-record loop shared by filter, map, flat-map and set-key: compile once, evaluate per
 * record (no microtask when the compiled expression answers synchronously), and turn any
 * evaluation error or refusal into a `failure` record instead of a throw.
 */
export function expressionTransform(expression: string, ctx: ProcessorContext, onResult: OnResult): BatchProcessor {
  const expr = compileExpression(expression);
  return {
    async process(records, out) {
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!;
        let reason: string | void;
        try {
          let v = expr.evaluateRecord(r);
          if (v instanceof Promise) v = await v;
          reason = onResult(r, v, i, out);
        } catch (e) {
          reason = errorMessage(e);
        }
        if (reason !== undefined) out.emit("failure", failed(r, reason, ctx.nodeId), i);
      }
    },
  };
}
