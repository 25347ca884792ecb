import { DEFAULT_EXPR_LIMITS, type ExprLimits } from "../../expr.js";
import type { MRecord } from "../../sdk.js";
import { Expressions } from "../../user-code/expressions.js";
import type { JoinConfig } from "./spec.js";

/** What `merge` is evaluated against: the record's fields and the row found (null: none, left join). */
export interface MergeInput extends MRecord {
  table: unknown;
}

/** The outcome of a batch: per record, the output value, or why it failed, or neither (dropped). */
export interface Merged {
  /** the output value of record i; undefined where it failed or was dropped */
  values: unknown[];
  /** failed record index → reason */
  failures: Map<number, string>;
}

export const NO_MERGE_VALUE = "merge produced no value";

/**
 * The merge half of a stream–table join: given each record's row (looked up by the caller in the
 * table's store), evaluates `merge` over the batch through Expressions, one request for the
 * records that need the pool. An inner join drops a record without a row before evaluating.
 */
export class Merger {
  private readonly merge: Expressions;

  constructor(
    merge: string,
    private readonly type: JoinConfig["type"],
    limits: ExprLimits = DEFAULT_EXPR_LIMITS,
  ) {
    this.merge = new Expressions([merge], "value", limits);
  }

  /** `rows[i]` is record i's row, undefined when the table has none for its key. */
  async mergeBatch(records: readonly MRecord[], rows: readonly unknown[]): Promise<Merged> {
    const inputs: MergeInput[] = [];
    const at: number[] = [];
    for (let i = 0; i < records.length; i++) {
      const row = rows[i];
      if (row === undefined && this.type === "inner") continue;
      const r = records[i]!;
      inputs.push({ key: r.key, value: r.value, headers: r.headers, table: row === undefined ? null : row });
      at.push(i);
    }
    const out: Merged = { values: new Array<unknown>(records.length), failures: new Map() };
    if (!inputs.length) return out;
    const { results, failures } = await this.merge.evaluate(inputs);
    for (let j = 0; j < at.length; j++) {
      const i = at[j]!;
      const failure = failures.get(j);
      if (failure) out.failures.set(i, failure[1]);
      else if (results[j] === undefined) out.failures.set(i, NO_MERGE_VALUE);
      else out.values[i] = results[j];
    }
    return out;
  }
}
