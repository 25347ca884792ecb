import { DEFAULT_EXPR_LIMITS, type ExprLimits } from "../../expr.js";
import type { MRecord } from "../../sdk.js";
import { Expressions } from "../../user-code/expressions.js";
import type { Reduced } from "./reduce.js";

/** What `reduce` is evaluated against: the record's fields and its group's state so far. */
export interface ReduceInput extends MRecord {
  state: unknown;
}

export const NO_INITIAL = "initial produced no value";
export const NO_STATE = "reduce produced no value";

/**
 * A custom reducer: `initial` gives a new group's state (evaluated against its first record),
 * `reduce` the next state from `{ value, key, headers, state }`. Both run through Expressions,
 * batched (simple ones here, the rest in the user-code pool). A record needs the state its
 * group's previous record left, so a batch runs in rounds: round r evaluates the r-th record of
 * every group in the batch, one request per round, so a batch of distinct groups is one request
 * and a batch of one group is as many as it has records.
 */
export class CustomReducer {
  private readonly initial: Expressions;
  private readonly reduce: Expressions;

  /** Compiles both here, so a syntax error fails the processor's creation with its position. */
  constructor(initial: string, reduce: string, limits: ExprLimits = DEFAULT_EXPR_LIMITS) {
    this.initial = new Expressions([initial], "value", limits);
    this.reduce = new Expressions([reduce], "value", limits);
  }

  /**
   * Folds `records` in order. `groups[i]` is record i's group key (undefined: the record already
   * failed and is skipped). `states` holds the current state of the groups that have one (read
   * from the store by the caller) and is updated in place to each group's state after the batch:
   * what the caller writes back.
   */
  async reduceBatch(records: readonly MRecord[], groups: readonly (string | undefined)[], states: Map<string, unknown>): Promise<Reduced> {
    const n = records.length;
    const out: Reduced = { states: new Array<unknown>(n), failures: new Map() };
    const rounds = roundsOf(groups);
    for (const round of rounds) {
      const fresh = round.filter((i) => !states.has(groups[i]!));
      if (fresh.length) {
        const init = await this.initial.evaluate(fresh.map((i) => records[i]!));
        fresh.forEach((i, j) => {
          const failure = init.failures.get(j);
          const v = init.results[j];
          if (failure) out.failures.set(i, `initial: ${failure[1]}`);
          else if (v === undefined) out.failures.set(i, NO_INITIAL);
          else states.set(groups[i]!, v);
        });
      }
      const ready = fresh.length ? round.filter((i) => !out.failures.has(i)) : round;
      if (!ready.length) continue;
      const inputs = ready.map((i): ReduceInput => {
        const r = records[i]!;
        return { key: r.key, value: r.value, headers: r.headers, state: states.get(groups[i]!) };
      });
      const next = await this.reduce.evaluate(inputs);
      ready.forEach((i, j) => {
        const failure = next.failures.get(j);
        const v = next.results[j];
        if (failure) out.failures.set(i, failure[1]);
        else if (v === undefined) out.failures.set(i, NO_STATE);
        else {
          states.set(groups[i]!, v);
          out.states[i] = v;
        }
      });
    }
    return out;
  }
}

/** Record indexes by their rank within their group: round r holds each group's r-th record. */
export function roundsOf(groups: readonly (string | undefined)[]): number[][] {
  const rank = new Map<string, number>();
  const rounds: number[][] = [];
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    if (g === undefined) continue;
    const r = rank.get(g) ?? 0;
    rank.set(g, r + 1);
    (rounds[r] ??= []).push(i);
  }
  return rounds;
}
