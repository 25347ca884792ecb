import { toHeaderString } from "../../expr.js";
import type { MRecord } from "../../sdk.js";

/** Why a record has no key for a table, an aggregate's group or a join's lookup. */
export class KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyError";
  }
}

/**
 * The key a record is stored, grouped or looked up under: the result of the node's key expression
 * (strings as they are, numbers, booleans and objects JSON-encoded, like a Kafka key made by
 * set-key), or the record's own key when the node has no expression (`fromExpression` false).
 * Throws a KeyError naming `what` when there is none, since a row without a key cannot be stored.
 */
export function keyOf(record: MRecord, result: unknown, fromExpression: boolean, what: string): string {
  if (!fromExpression) {
    if (record.key === undefined) throw new KeyError(`the record has no key: give ${what} an expression for it`);
    return record.key;
  }
  const key = toHeaderString(result);
  if (key === undefined) throw new KeyError(`${what} gave no key (${result === null ? "null" : "no result"})`);
  return key;
}
