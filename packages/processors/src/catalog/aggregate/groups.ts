import { failed, isReservedTableKey, type MRecord, type Output } from "../../sdk.js";

/**
 * Each record's group: its key, since the planner has already re-keyed the records by `groupBy`
 * (a set-key step before a repartition topic). A record without a key, or whose key is one the
 * table keeps its bookkeeping under, goes to `failure` and its group is undefined.
 */
export function groupsOf(records: readonly MRecord[], out: Output, nodeId: string): (string | undefined)[] {
  const n = records.length;
  const groups: (string | undefined)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const key = records[i]!.key;
    if (key === undefined) out.emit("failure", failed(records[i]!, "the record has no key: give the aggregate a groupBy expression", nodeId), i);
    else if (isReservedTableKey(key)) out.emit("failure", failed(records[i]!, `the group key ${JSON.stringify(key)} is reserved for the table's own bookkeeping`, nodeId), i);
    else groups[i] = key;
  }
  return groups;
}
