import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { KafkaClient } from "../kafka/index.js";
import { restoreStore } from "../state/restore.js";
import { PartitionStore, StoreFullError, type StoreEntry, type StoreValue } from "../state/store.js";
import { loadSnapshotRows, SnapshotIncompleteError, snapshotStart, type SnapshotAt, type SnapshotRowSource } from "./snapshot-start.js";

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
  /** the snapshot's size bound (its rows as written out); stores of every partition together far beyond it stop the fold (SnapshotTooLargeError) */
  maxBytes: number;
  /** how long the fold may read (SnapshotTooSlowError beyond) */
  maxMs: number;
  label: string;
  /** the snapshot to continue from, with its rows by partition */
  previous?: SnapshotAt & { id: string; rows(partition: number): SnapshotRowSource };
  /** told when the previous snapshot could not be used for a partition */
  log?: (msg: string) => void;
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

/** The stores' pages hold more than the rows' JSON: the rows' bound is checked as they are written out, the stores only stop a runaway fold. */
const STORE_HEADROOM_BYTES = 64 * 1024 * 1024;

export class SnapshotTooLargeError extends Error {
  constructor(label: string, maxBytes: number) {
    const bound = maxBytes >= 1024 * 1024 ? `${Math.round(maxBytes / 1024 / 1024)} MB` : `${maxBytes} bytes`;
    super(`the snapshot of ${label} is larger than its bound of ${bound} (MILLRACE_SNAPSHOT_MAX_MB): not written`);
    this.name = "SnapshotTooLargeError";
  }
}

export class SnapshotTooSlowError extends Error {
  constructor(label: string, maxMs: number) {
    super(`the snapshot of ${label} took longer than its bound of ${Math.round(maxMs / 1000)} s to read from the changelog (MILLRACE_SNAPSHOT_MAX_SECONDS): not written`);
    this.name = "SnapshotTooSlowError";
  }
}

export class FoldedTable {
  private constructor(
    private readonly stores: PartitionStore[],
    readonly partitions: FoldedPartition[],
    private readonly workDir: string,
    /** when the end offsets were read */
    readonly offsetsAt: Date,
  ) {}

  /** The table at the changelog's end offsets now; `offsetsAt` is when they were read. */
  static async fold(o: FoldOptions): Promise<FoldedTable> {
    const deadline = Date.now() + o.maxMs;
    const offsetsAt = new Date();
    const ends = await o.kafka.topicEndOffsets(o.changelogTopic);
    const stores: PartitionStore[] = [];
    const folded: FoldedPartition[] = [];
    const table = new FoldedTable(stores, folded, o.workDir, offsetsAt);
    // one budget for every partition's store: the bound is the snapshot's, whatever its partition count
    let budget = o.maxBytes + STORE_HEADROOM_BYTES;
    try {
      for (let p = 0; p < o.partitions; p++) {
        const end = ends.find((e) => e.partition === p);
        if (!end) throw new Error(`changelog ${o.changelogTopic} has no partition ${p}`);
        if (budget <= 0) throw new SnapshotTooLargeError(o.label, o.maxBytes);
        const store = PartitionStore.open({ directory: join(o.workDir, String(p)), maxBytes: budget, label: `snapshot of ${o.label} partition ${p}` });
        stores.push(store);
        let fromSnapshot: FoldedPartition["fromSnapshot"];
        const start = o.previous && snapshotStart(o.previous, p, end);
        if (o.previous && start && "offset" in start) {
          try {
            fromSnapshot = { id: o.previous.id, rows: await loadSnapshotRows(store, o.previous, p, o.previous.rows(p), start.offset) };
          } catch (e) {
            // the store is wiped: this partition is read from the log start instead
            if (!(e instanceof SnapshotIncompleteError)) throw e;
            o.log?.(`${e.message}; partition ${p} read from the changelog's start`);
          }
        }
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new SnapshotTooSlowError(o.label, o.maxMs);
        const r = await restoreStore(o.kafka, store, { topic: o.changelogTopic, partition: p, end: end.high, quietMs: 500, signal: AbortSignal.timeout(remaining) }).catch((e: unknown) => {
          throw Date.now() >= deadline ? new SnapshotTooSlowError(o.label, o.maxMs) : e;
        });
        folded.push({ partition: p, from: r.from, offset: store.checkpoint() ?? r.to, changesRead: r.restoredRecords, ...(fromSnapshot ? { fromSnapshot } : {}) });
        budget -= store.size().bytes;
      }
    } catch (e) {
      await table.close();
      if (e instanceof StoreFullError || (e as Error).cause instanceof StoreFullError) throw new SnapshotTooLargeError(o.label, o.maxBytes);
      throw e;
    }
    return table;
  }

  /** One partition's row (the folded stores' keys include the processors' reserved ones). */
  get(partition: number, key: string): StoreValue | undefined {
    return this.stores[partition]?.get(key);
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
