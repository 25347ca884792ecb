import { isReservedTableKey, TABLE_KEY } from "@millrace/processors";
import { DomainError } from "../errors.js";
import { keyPartition, type KafkaClient } from "../kafka/index.js";
import type { ExecutionPlan } from "../planner/index.js";
import { decodeChange } from "../state/changelog.js";
import type { StoreEntry, StoreValue } from "../state/store.js";
import type { StageTables } from "../runtime/table-state.js";
import { readRanges } from "../tap/reader.js";

/** Changes of one changelog partition read through when no engine here holds its table (bounded: a bigger one is refused). */
const MAX_READ_THROUGH = 1_000_000;
export const MAX_SCAN = 1_000;
/** keys a partition may hold besides its rows (hidden from get and scan) */
const RESERVED_KEYS = Object.keys(TABLE_KEY).length;

export interface TableSource {
  plan: ExecutionPlan;
  /** the node's tables on this engine, when it runs the flow */
  tables: StageTables | undefined;
  kafka: KafkaClient;
}

export interface TableRow {
  key: string;
  value: StoreValue;
}

/** The table of a stateful node of the plan (its changelog and partitions); a clear error for another node. */
export function stateOf(plan: ExecutionPlan, nodeId: string) {
  const node = plan.nodes.find((n) => n.id === nodeId);
  if (!node) throw new DomainError("NOT_FOUND", `flow ${plan.flowId} has no node "${nodeId}" in its deployed version`);
  if (!node.state) throw new DomainError("INVALID", `node "${nodeId}" is a ${node.type}: it keeps no table`);
  return node.state;
}

/**
 * Reads a changelog partition to its end and folds it into the table it holds (the latest change
 * per key wins; a tombstone deletes): the table of a partition no engine here has open.
 */
async function readThrough(kafka: KafkaClient, topic: string, partition: number): Promise<Map<string, StoreValue>> {
  const [ends] = (await kafka.topicEndOffsets(topic)).filter((p) => p.partition === partition);
  const rows = new Map<string, StoreValue>();
  if (!ends || ends.high <= ends.low) return rows;
  if (ends.high - ends.low > MAX_READ_THROUGH) throw new DomainError("UNAVAILABLE", `partition ${partition} of ${topic} holds ${ends.high - ends.low} changes, more than ${MAX_READ_THROUGH} read through; ask the engine running the flow`);
  const msgs = await readRanges(kafka, topic, [{ partition, from: BigInt(ends.low), to: BigInt(ends.high - 1) }], { max: MAX_READ_THROUGH, quietMs: 1_000 });
  msgs.sort((a, b) => (BigInt(a.message.offset) < BigInt(b.message.offset) ? -1 : 1));
  for (const m of msgs) {
    const c = decodeChange(m.message, { topic, partition });
    if (c.value === null) rows.delete(c.key);
    else rows.set(c.key, c.value);
  }
  return rows;
}

/** The row of `key` in a stateful node's table: from this engine's store when it holds the key's partition, else read through the changelog. */
export async function tableGet(src: TableSource, nodeId: string, key: string): Promise<{ key: string; value: StoreValue | null; partition: number; from: "store" | "changelog" }> {
  const state = stateOf(src.plan, nodeId);
  const partition = keyPartition(key, state.partitions);
  const store = src.tables?.store(partition);
  // a key the processor keeps its bookkeeping under (a window's stream time) is no row
  if (isReservedTableKey(key)) return { key, value: null, partition, from: store ? "store" : "changelog" };
  if (store) return { key, value: store.get(key) ?? null, partition, from: "store" };
  const rows = await readThrough(src.kafka, state.changelogTopic, partition);
  return { key, value: rows.get(key) ?? null, partition, from: "changelog" };
}

/** Rows in key order (per partition, then merged), with a prefix and at most `limit`. */
export async function tableScan(src: TableSource, nodeId: string, opts: { prefix?: string; limit?: number }): Promise<{ rows: TableRow[]; truncated: boolean }> {
  const state = stateOf(src.plan, nodeId);
  const limit = Math.min(opts.limit ?? 100, MAX_SCAN);
  const prefix = opts.prefix ?? "";
  const all: StoreEntry[] = [];
  for (let p = 0; p < state.partitions; p++) {
    const store = src.tables?.store(p);
    if (store) {
      for (const e of store.scan({ prefix, limit: limit + 1 + RESERVED_KEYS })) if (!isReservedTableKey(e.key)) all.push(e);
      continue;
    }
    for (const [key, value] of await readThrough(src.kafka, state.changelogTopic, p)) if (key.startsWith(prefix) && !isReservedTableKey(key)) all.push({ key, value });
  }
  all.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { rows: all.slice(0, limit), truncated: all.length > limit };
}
