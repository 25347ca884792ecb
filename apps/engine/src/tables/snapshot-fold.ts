import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { KafkaClient } from "../kafka/index.js";
import { restoreStore } from "../state/restore.js";
import { PartitionStore, StoreFullError, type StoreEntry } from "../state/store.js";
import { loadSnapshotRows, snapshotStart, type SnapshotAt, type SnapshotRowPages } from "./snapshot-start.js";

/**
 * A table as of one moment, folded from its changelog into temporary stores (one per partition,
 * on disk, never the whole table in memory): each partition from a previous snapshot's offset
 * when it is still valid there, else from the log start, up to the end offsets taken once at
 * the start. Any engine can fold any node's table: it reads the changelog, not a running store.
 */

export interface FoldOptions {
  kafka: KafkaClient;
  changelogTopic: string;
  partitions: number;
  /** an empty directory of this fold's own (deleted by close) */
  workDir: string;
  /** the snapshot's size bound (its rows as written out); a store far beyond it stops the fold (SnapshotTooLargeError) */
  maxBytes: number;
  label: string;
  /** the snapshot to continue from, with its rows by partition */
  previous?: SnapshotAt & { id: string; rows(partition: number): SnapshotRowPages };
}

export interface FoldedPartition {
  partition: number;
  /** the offset the fold started reading the changelog at */
  from: number;
  /** the next changelog offset the folded table does not reflect */
  offset: number;
  /** rows taken from the previous snapshot (absent: read from the log start) */
  fromSnapshot?: { id: string; rows: number };
  changesRead: number;
}

/** A store's pages hold more than the rows' JSON: the rows' bound is checked as they are written out, the stores only stop a runaway fold. */
const STORE_HEADROOM_BYTES = 64 * 1024 * 1024;

export class SnapshotTooLargeError extends Error {
  constructor(label: string, maxBytes: number) {
    const bound = maxBytes >= 1024 * 1024 ? `${Math.round(maxBytes / 1024 / 1024)} MB` : `${maxBytes} bytes`;
    super(`the snapshot of ${label} is larger than its bound of ${bound} (MILLRACE_SNAPSHOT_MAX_MB): not written`);
    this.name = "SnapshotTooLargeError";
  }
}

export class FoldedTable {
  private constructor(
    private readonly stores: PartitionStore[],
    readonly partitions: FoldedPartition[],
    private readonly workDir: string,
  ) {}

  static async fold(o: FoldOptions): Promise<FoldedTable> {
    const ends = await o.kafka.topicEndOffsets(o.changelogTopic);
    const stores: PartitionStore[] = [];
    const folded: FoldedPartition[] = [];
    const table = new FoldedTable(stores, folded, o.workDir);
    try {
      for (let p = 0; p < o.partitions; p++) {
        const end = ends.find((e) => e.partition === p);
        if (!end) throw new Error(`changelog ${o.changelogTopic} has no partition ${p}`);
        const store = PartitionStore.open({ directory: join(o.workDir, String(p)), maxBytes: o.maxBytes + STORE_HEADROOM_BYTES, label: `snapshot of ${o.label} partition ${p}` });
        stores.push(store);
        let fromSnapshot: FoldedPartition["fromSnapshot"];
        const start = o.previous && snapshotStart(o.previous, p, end);
        if (o.previous && start && "offset" in start) {
          fromSnapshot = { id: o.previous.id, rows: await loadSnapshotRows(store, o.previous.rows(p), start.offset) };
        }
        const r = await restoreStore(o.kafka, store, { topic: o.changelogTopic, partition: p, end: end.high, quietMs: 500 });
        folded.push({ partition: p, from: r.from, offset: store.checkpoint() ?? r.to, changesRead: r.restoredRecords, ...(fromSnapshot ? { fromSnapshot } : {}) });
      }
    } catch (e) {
      await table.close();
      if (e instanceof StoreFullError || (e as Error).cause instanceof StoreFullError) throw new SnapshotTooLargeError(o.label, o.maxBytes);
      throw e;
    }
    return table;
  }

  rowCount(): number {
    let n = 0;
    for (const s of this.stores) n += s.size().entries;
    return n;
  }

  /** Every row, partition by partition, in pages (key order within a partition). */
  async *pages(pageSize = 1_000): AsyncGenerator<{ partition: number; entries: StoreEntry[] }> {
    for (let p = 0; p < this.stores.length; p++) {
      let after: string | undefined;
      for (;;) {
        const entries = this.stores[p]!.scan({ limit: pageSize, ...(after !== undefined ? { after } : {}) });
        if (!entries.length) break;
        yield { partition: p, entries };
        if (entries.length < pageSize) break;
        after = entries[entries.length - 1]!.key;
      }
    }
  }

  async close(): Promise<void> {
    for (const s of this.stores) await s.close().catch(() => {});
    await rm(this.workDir, { recursive: true, force: true });
  }
}
