import type { TopicRetention } from "../planner/index.js";

const MIB = 1024 * 1024;
/** Kafka 4 refuses smaller segments. */
const MIN_SEGMENT_BYTES = MIB;
/** Kafka's default segment size, and well under its 2 GiB ceiling. */
const MAX_SEGMENT_BYTES = 1024 * MIB;
const MIN_SEGMENT_MS = 60_000;
/**
 * Records deleted below a partition's start offset (the read-records purge) leave the disk only
 * when their segment closes: segments close at least every 10 minutes and, without a size bound,
 * at 50 MiB, as Kafka Streams sets its internal topics.
 */
const MAX_SEGMENT_MS = 10 * 60_000;
const UNBOUNDED_SEGMENT_BYTES = 50 * MIB;
/**
 * Kafka deletes closed segments only: the active one stays whatever its age or size. With a
 * segment an eighth of the bound, a partition holds at most about 9/8 of its share, and a record
 * outlives its minutes by at most an eighth (plus the brokers' retention check, every 5 minutes).
 */
const SEGMENTS_PER_BOUND = 8;

/**
 * The topic configs that make a topic keep `r`: records older than its minutes, or beyond its
 * megabytes, are deleted oldest first. retention.bytes is per partition, so the megabytes are
 * shared out over the topic's partitions.
 */
export function retentionConfigs(r: TopicRetention, partitions: number): Record<string, string> {
  const configs: Record<string, string> = { "cleanup.policy": "delete" };
  // 0 = no bound: -1 (Kafka's "unlimited") rather than nothing, so a topic that had a bound loses it
  if (r.minutes > 0) {
    const retentionMs = r.minutes * 60_000;
    configs["retention.ms"] = String(retentionMs);
    configs["segment.ms"] = String(Math.min(MAX_SEGMENT_MS, Math.max(MIN_SEGMENT_MS, Math.floor(retentionMs / SEGMENTS_PER_BOUND))));
  } else {
    configs["retention.ms"] = "-1";
    configs["segment.ms"] = String(MAX_SEGMENT_MS);
  }
  if (r.mb > 0) {
    const bytesPerPartition = Math.max(1, Math.floor((r.mb * MIB) / Math.max(1, partitions)));
    configs["retention.bytes"] = String(bytesPerPartition);
    configs["segment.bytes"] = String(Math.min(MAX_SEGMENT_BYTES, Math.max(MIN_SEGMENT_BYTES, Math.floor(bytesPerPartition / SEGMENTS_PER_BOUND))));
  } else {
    configs["retention.bytes"] = "-1";
    configs["segment.bytes"] = String(UNBOUNDED_SEGMENT_BYTES);
  }
  return configs;
}

