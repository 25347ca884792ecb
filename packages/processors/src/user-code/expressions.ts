import { compileExpression, DEFAULT_EXPR_LIMITS, jsonataTruthy, NOT_DIRECT, toHeaderString, type CompiledExpression, type ExprLimits } from "../expr.js";
import type { MRecord } from "../sdk.js";
import { userCodePool, type BatchLimits } from "./pool.js";
import type { ExpressionResultMode, ExpressionTask } from "./protocol.js";

/** No record of a batch starts after this long: well under Kafka's 10 s session timeout. */
export const EXPRESSION_BATCH_TIMEOUT_MS = 8000;
/** A record's result larger than this fails ("output too large"); the stage refuses records over 1 MB anyway. */
export const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** The outcome of a processor's expressions over one batch. */
export interface Evaluated {
  /** `width` entries per record, at `index * width` (one for "truthy" and "first-truthy") */
  results: unknown[];
  /** the failed records: index → [which expression, why] */
  failures: Map<number, [expression: number, reason: string]>;
}

const NO_FAILURES: Map<number, [number, string]> = new Map();

/**
 * A processor's expressions, evaluated over whole batches: simple ones (plain paths, arithmetic,
 * comparisons: bounded work) right here, the rest in the user-code pool, one request per batch,
 * where a record that never ends or fills the heap fails alone.
 */
export class Expressions {
  readonly width: number;
  private readonly compiled: CompiledExpression[];
  private readonly task: ExpressionTask;
  private readonly limits: BatchLimits;
  private readonly allDirect: boolean;

  /** Compiles every source here, so a syntax error fails `create()` with its position. */
  constructor(sources: readonly string[], private readonly mode: ExpressionResultMode, exprLimits: ExprLimits = DEFAULT_EXPR_LIMITS) {
    this.compiled = sources.map((s) => compileExpression(s, exprLimits));
    this.width = mode === "truthy" || mode === "first-truthy" ? 1 : sources.length;
    this.task = { kind: "expression", sources, mode, timeoutMs: exprLimits.timeoutMs, maxDepth: exprLimits.maxDepth, maxSequence: exprLimits.maxSequence };
    this.limits = { recordTimeoutMs: exprLimits.timeoutMs, batchTimeoutMs: EXPRESSION_BATCH_TIMEOUT_MS, maxOutputBytes: MAX_OUTPUT_BYTES };
    this.allDirect = this.compiled.every((c) => c.direct !== undefined);
  }

  async evaluate(records: readonly MRecord[]): Promise<Evaluated> {
    const n = records.length;
    if (!this.allDirect) return this.inPool(records, undefined, new Array<unknown>(n * this.width));
    const results = new Array<unknown>(n * this.width);
    let slow: number[] | undefined;
    for (let i = 0; i < n; i++) {
      if (!this.direct(records[i]!, i, results)) (slow ??= []).push(i);
    }
    return slow ? this.inPool(records, slow, results) : { results, failures: NO_FAILURES };
  }

  /** Fills record `i`'s results without JSONata's evaluator; false when it needs the pool. */
  private direct(r: MRecord, i: number, results: unknown[]): boolean {
    const c = this.compiled;
    switch (this.mode) {
      case "truthy": {
        const v = c[0]!.direct!(r);
        if (v === NOT_DIRECT) return false;
        results[i] = jsonataTruthy(v);
        return true;
      }
      case "first-truthy": {
        for (let e = 0; e < c.length; e++) {
          const v = c[e]!.direct!(r);
          if (v === NOT_DIRECT) return false;
          if (jsonataTruthy(v)) {
            results[i] = e;
            return true;
          }
        }
        results[i] = -1;
        return true;
      }
      default: {
        const k = c.length;
        for (let e = 0; e < k; e++) {
          const v = c[e]!.direct!(r);
          if (v === NOT_DIRECT) return false;
          results[i * k + e] = this.mode === "header" && v !== null ? toHeaderString(v) : v;
        }
        return true;
      }
    }
  }

  private async inPool(records: readonly MRecord[], slow: number[] | undefined, results: unknown[]): Promise<Evaluated> {
    const w = this.width;
    const input = slow ? slow.map((i) => records[i]!) : records;
    const outcome = await userCodePool().run(this.task, input, w, this.limits);
    const failures = outcome.failures.length ? new Map<number, [number, string]>() : NO_FAILURES;
    for (const [j, e, reason] of outcome.failures) failures.set(slow ? slow[j]! : j, [e, reason]);
    if (!slow) return { results: outcome.results, failures };
    for (let j = 0; j < slow.length; j++) {
      const at = slow[j]! * w;
      for (let x = 0; x < w; x++) results[at + x] = outcome.results[j * w + x];
    }
    return { results, failures };
  }
}
