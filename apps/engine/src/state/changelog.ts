import { SNAPSHOT_START_WINDOW_MS } from "@millrace/processors/catalog/table/spec";
import type { InMessage, OutMessage, TopicSpec } from "../kafka/index.js";
import { edgeTopicName } from "../planner/index.js";
import type { ProducedPositions } from "../runtime/producing.js";
import type { StoreChange, StoreValue } from "./store.js";

/**
 * The changelog of a stateful node: a compacted topic with one partition per input partition;
 * partition p holds the changes of the store of input partition p, so a store is rebuilt from
 * its own partition alone (wherever that input partition is processed next).
 *
 * A change is one record: key = the store key (UTF-8), value = the new value as JSON, or no
 * value (a tombstone) when the key was deleted; compaction then keeps the latest per key.
 */

/** `mr.<flow>.<node>.changelog` (names made Kafka-safe like every topic of a flow). */
export function changelogTopicName(flowId: string, nodeId: string): string {
  return edgeTopicName(flowId, nodeId, "changelog");
}

/**
 * How long compaction keeps a deleted key's tombstone: a store (or a snapshot) at an offset older
 * than a tombstone it has not read would keep the deleted row if the tombstone were gone. It is
 * also how old a snapshot may be to start from (snapshot-start.ts).
 */
export const TOMBSTONE_RETENTION_MS = SNAPSHOT_START_WINDOW_MS;

/**
 * A changelog topic's configuration, set when it is created and brought back to it when it exists:
 * compacted at once (the latest change per key: its size is the table's, not the traffic's), in
 * small segments so compaction keeps up, deleted keys' tombstones kept TOMBSTONE_RETENTION_MS.
 */
export const CHANGELOG_TOPIC_CONFIGS: Readonly<Record<string, string>> = {
  "cleanup.policy": "compact",
  "min.compaction.lag.ms": "0",
  "segment.ms": "600000",
  "delete.retention.ms": String(TOMBSTONE_RETENTION_MS),
};

/** The changelog topic to create: CHANGELOG_TOPIC_CONFIGS, as many partitions as the node's input topic. */
export function changelogTopicSpec(flowId: string, nodeId: string, inputPartitions: number, replicationFactor?: number): TopicSpec {
  if (!(Number.isInteger(inputPartitions) && inputPartitions > 0)) {
    throw new Error(`changelog of node ${nodeId} (flow ${flowId}): the input topic's partition count must be a whole number > 0, got ${inputPartitions}`);
  }
  return {
    topic: changelogTopicName(flowId, nodeId),
    partitions: inputPartitions,
    ...(replicationFactor !== undefined ? { replicationFactor } : {}),
    configs: { ...CHANGELOG_TOPIC_CONFIGS },
  };
}

/**
 * The records of a batch's store changes, for the changelog partition of the store's input
 * partition. The runtime sends them with the batch's outputs (in exactly-once mode in the same
 * transaction), keeping `partition` as set: hashing the key would put a change where another
 * store reads it.
 */
export function changelogMessages(changes: readonly StoreChange[], partition: number): OutMessage[] {
  const out = new Array<OutMessage>(changes.length);
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i]!;
    out[i] = changelogMessage(c.key, c.value, partition);
  }
  return out;
}

/** The changelog record of one change (see changelogMessages). */
export function changelogMessage(key: string, value: StoreValue | null, partition: number): OutMessage {
  return { key, value: value === null ? null : JSON.stringify(value), partition };
}

/** The change a changelog record carries; throws naming the record when it is not one. */
export function decodeChange(message: InMessage, where: { topic: string; partition: number }): StoreChange {
  if (message.key === null || message.key.length === 0) {
    throw new Error(`changelog ${where.topic} partition ${where.partition} offset ${message.offset}: a record without a key is not a store change`);
  }
  const key = message.key.toString("utf8");
  if (message.value === null) return { key, value: null };
  let value: StoreValue;
  try {
    value = JSON.parse(message.value.toString("utf8")) as StoreValue;
  } catch (e) {
    throw new Error(`changelog ${where.topic} partition ${where.partition} offset ${message.offset} (key ${JSON.stringify(key)}): the value is not JSON: ${(e as Error).message}`, {
      cause: e,
    });
  }
  return { key, value };
}

/**
 * The store's checkpoint once a batch's changelog records are written (and, in exactly-once
 * mode, committed): the offset after the last of them. Undefined when the batch wrote none or
 * an offset is unknown (then the store keeps its checkpoint; a restore reads a little more).
 */
export function changelogCheckpoint(positions: ProducedPositions | undefined, changelogTopic: string): number | undefined {
  const at = positions?.get(changelogTopic);
  if (!at || at.offsets.length === 0) return undefined;
  let last = -1;
  for (let i = 0; i < at.offsets.length; i++) {
    const o = at.offsets[i]!;
    if (o < 0) return undefined;
    if (o > last) last = o;
  }
  return last + 1;
}
