import type { SnapshotOffsets, SnapshotPartitionRows, TableSnapshotRepository } from "../db/index.js";
import type { KafkaClient } from "../kafka/index.js";
import { TOMBSTONE_RETENTION_MS } from "../state/changelog.js";
import type { PartitionStore, StoreChange, StoreValue } from "../state/store.js";

/**
 * Whether a table partition can start from a snapshot rather than from its changelog's beginning,
 * and loading it. The snapshot's rows are the table at its offset; the changelog from that
 * offset on brings it forward. That holds only while the changelog still has every record from
 * the offset on, and every tombstone since: compaction keeps deletions a limited time, after
 * which a snapshot older than that would bring deleted rows back.
 */

export interface SnapshotAt {
  offsets: SnapshotOffsets;
  /** when `offsets` were read: every record after them, tombstones too, is younger */
  offsetsAt: Date;
  /** its rows per partition (as text) */
  partitionRows: SnapshotPartitionRows;
}

/** The offset partition `partition` can start from, or why it cannot (for the log). */
export function snapshotStart(snapshot: SnapshotAt, partition: number, changelog: { low: number; high: number }, now = Date.now()): { offset: number } | { refused: string } {
  const offset = snapshot.offsets[String(partition)];
  if (offset === undefined || !Number.isSafeInteger(offset) || offset < 0) return { refused: `it has no offset for partition ${partition}` };
  if (offset < changelog.low) return { refused: `its offset ${offset} is before the changelog's first (${changelog.low}): records after it were deleted` };
  if (offset > changelog.high) return { refused: `its offset ${offset} is past the changelog's end (${changelog.high}): the changelog is not the one it was taken from` };
  if (now - snapshot.offsetsAt.getTime() >= TOMBSTONE_RETENTION_MS) return { refused: `it is older than the changelog keeps deletions (${TOMBSTONE_RETENTION_MS / 3_600_000} h)` };
  return { offset };
}

/** Pages of one partition's rows, in any key order, `after` the last key of the previous page. */
export type SnapshotRowPages = (after: string | undefined, limit: number) => Promise<{ key: string; value: StoreValue }[]>;

/** Runs `load` on one partition's rows with every page from one consistent view (one transaction). */
export type SnapshotRowSource = <T>(load: (pages: SnapshotRowPages) => Promise<T>) => Promise<T>;

const PAGE = 2_000;

/** A snapshot's rows of a partition read differ from its count (pruned meanwhile): the store is wiped. */
export class SnapshotIncompleteError extends Error {
  constructor(snapshotId: string, partition: number, loaded: number, expected: number) {
    super(`snapshot ${snapshotId} partition ${partition}: read ${loaded} of its ${expected} rows (deleted meanwhile?)`);
    this.name = "SnapshotIncompleteError";
  }
}

/**
 * Loads a snapshot's rows of one partition into a store, emptied first (a store interrupted
 * midway keeps its rows and has no checkpoint), then sets its checkpoint to the snapshot's offset
 * (last, so an interrupted load leaves no checkpoint). Returns the rows loaded; throws
 * SnapshotIncompleteError, the store wiped, when they are not the snapshot's count for it.
 */
export async function loadSnapshotRows(store: PartitionStore, snapshot: { id: string; partitionRows: SnapshotPartitionRows }, partition: number, rows: SnapshotRowSource, offset: number): Promise<number> {
  store.wipe();
  const expected = snapshot.partitionRows[String(partition)] ?? 0;
  const loaded = await rows(async (pages) => {
    let after: string | undefined;
    let n = 0;
    const changes: StoreChange[] = [];
    for (;;) {
      const page = await pages(after, PAGE);
      if (!page.length) break;
      changes.length = 0;
      for (const r of page) changes.push({ key: r.key, value: r.value });
      store.write(changes);
      n += page.length;
      after = page[page.length - 1]!.key;
      if (page.length < PAGE) break;
    }
    return n;
  });
  if (loaded !== expected) {
    store.wipe();
    throw new SnapshotIncompleteError(snapshot.id, partition, loaded, expected);
  }
  store.setCheckpoint(offset);
  return loaded;
}

/** What starting a partition from its node's newest Postgres snapshot needs. */
export interface SnapshotStartSource {
  latest(): Promise<(SnapshotAt & { id: string }) | undefined>;
  rows(snapshotId: string, partition: number): SnapshotRowSource;
  changelogEnds(partition: number): Promise<{ low: number; high: number } | undefined>;
}

/**
 * StageTables' `startFromSnapshot`: loads the newest snapshot's rows of the partition when it is
 * valid there; the answer names the snapshot and its offset (undefined: none, or why not).
 */
export function startFromSnapshot(source: SnapshotStartSource, log: (msg: string) => void): (partition: number, store: PartitionStore) => Promise<string | undefined> {
  return async (partition, store) => {
    const snapshot = await source.latest();
    if (!snapshot) return undefined;
    const ends = await source.changelogEnds(partition);
    if (!ends) return undefined;
    const start = snapshotStart(snapshot, partition, ends);
    if ("refused" in start) {
      log(`table of partition ${partition}: not starting from snapshot ${snapshot.id}: ${start.refused}`);
      return undefined;
    }
    const rows = await loadSnapshotRows(store, snapshot, partition, source.rows(snapshot.id, partition), start.offset);
    return `snapshot ${snapshot.id} (${rows} rows at changelog offset ${start.offset})`;
  };
}

/** startFromSnapshot() on the node's snapshots in Postgres and its changelog in Kafka. */
export function startFromStoredSnapshot(
  o: { snapshots: Pick<TableSnapshotRepository, "latestInPostgres" | "rows">; kafka: KafkaClient; flowId: string; nodeId: string; changelogTopic: string },
  log: (msg: string) => void,
): (partition: number, store: PartitionStore) => Promise<string | undefined> {
  return startFromSnapshot(
    {
      latest: () => o.snapshots.latestInPostgres(o.flowId, o.nodeId),
      rows: (id, partition) => (load) => o.snapshots.rows(id, partition, load),
      changelogEnds: async (partition) => (await o.kafka.topicEndOffsets(o.changelogTopic)).find((e) => e.partition === partition),
    },
    log,
  );
}
