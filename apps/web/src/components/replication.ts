/**
 * A kafka-mirror's live figures, derived from NodeStats.replication (pure: unit-tested): the
 * per-topic rows of the node panel's table and the one-line summary on the canvas node.
 */
import type { NodeStats } from "../api/types";
import { fmt } from "./figures";

export type Replication = NonNullable<NodeStats["replication"]>;

export interface ReplicationRow {
  source: string;
  target: string;
  /** records copied since the deployment */
  records: number;
  /** records in the source topic not copied yet */
  lag: number;
  /** partitions whose lag is counted */
  partitions: number;
}

export interface ReplicationSummary {
  topics: number;
  records: number;
  lag: number;
}

/** One row per source topic, the most behind first (a person looks for the topic that lags), then by name. */
export function replicationRows(replication: Replication | undefined): ReplicationRow[] {
  if (!replication) return [];
  return Object.entries(replication)
    .map(([source, r]) => ({ source, target: r.target, records: r.records, lag: r.lag, partitions: r.partitions }))
    .sort((a, b) => b.lag - a.lag || a.source.localeCompare(b.source));
}

export function summarizeReplication(replication: Replication | undefined): ReplicationSummary {
  let topics = 0;
  let records = 0;
  let lag = 0;
  for (const r of Object.values(replication ?? {})) {
    topics++;
    records += r.records;
    lag += r.lag;
  }
  return { topics, records, lag };
}

/**
 * The node's compact figures: what is copied ("orders → copy.orders" for one topic, "3 topics"
 * for more) and the total lag, kept apart so a long topic name can be cut without cutting the lag.
 */
export function replicationLine(replication: Replication | undefined): { what: string; lag: string } {
  const rows = replicationRows(replication);
  const lag = `lag ${fmt(summarizeReplication(replication).lag)}`;
  if (rows.length === 0) return { what: "no topic yet", lag };
  if (rows.length === 1) return { what: `${rows[0]!.source} → ${rows[0]!.target}`, lag };
  return { what: `${rows.length} topics`, lag };
}
