import { rm } from "node:fs/promises";
import type { KeyValueState } from "@millrace/processors";
import type { KafkaClient, OutMessage } from "../kafka/index.js";
import { changelogCheckpoint } from "../state/changelog.js";
import { PendingChanges } from "../state/pending.js";
import { restoreStore, type RestoreResult } from "../state/restore.js";
import { PartitionStore, storeDirectory, WRITE_BEHIND, type StoreValue } from "../state/store.js";
import type { ProducedPositions } from "./producing.js";

/** A table's bound on disk per input partition (MILLRACE_TABLE_MAX_MB, default 1 GB). */
export const DEFAULT_TABLE_MAX_BYTES = 1024 * 1024 * 1024;

export interface StageTablesOptions {
  kafka: KafkaClient;
  flowId: string;
  nodeId: string;
  changelogTopic: string;
  /** the partitions the table was deployed with (its changelog's) */
  partitions?: number;
  /** the data directory (MILLRACE_DATA); stores go under its `state/` */
  dataDir: string;
  maxBytes?: number;
  log(level: "info" | "warn", msg: string): void;
  /** a partition's restore progressed (done = total: finished), for the node's figures */
  progress?(partition: number, done: number, total: number): void;
  /**
   * Loads a snapshot into a partition's empty store (no checkpoint: new here, or its state lost)
   * with the checkpoint at the snapshot's offset, so the restore reads only the changelog after
   * it; answers what it loaded, for the log, or undefined when no snapshot fits.
   */
  startFromSnapshot?(partition: number, store: PartitionStore): Promise<string | undefined>;
}

/** One batch's view of its partition's table: what the processor reads and writes, then what the runner writes. */
export interface BatchTable extends KeyValueState {
  /** the batch's changes as changelog messages for the input partition (empty: it changed nothing) */
  changelog(): OutMessage[];
  /** after the batch's outputs and changelog were acknowledged (or committed in its transaction) */
  commit(positions: ProducedPositions | undefined): void;
  /** the batch is processed again record by record: the changes made so far never happened */
  reset(): void;
  /** the batch failed or its partition was given up: its changes never happened */
  discard(): void;
}

/**
 * The tables of one stateful node on this engine: a store per input partition it reads
 * (state/store.ts), restored from the changelog before the partition's first batch of every
 * consumer-group generation (the partition may have been another engine's meanwhile), and one
 * batch's pending changes over it at a time (the stage processes a stateful partition's batches
 * one after the other).
 */
export class StageTables {
  private readonly stores = new Map<number, PartitionStore>();
  /** the consumer-group generation each partition's store was last restored in */
  private readonly restoredIn = new Map<number, number>();
  private readonly restoring = new Map<number, Promise<PartitionStore>>();

  /** writes the changes a store has held in memory for long (a partition no longer getting records) */
  private readonly flusher: NodeJS.Timeout;

  constructor(private readonly o: StageTablesOptions) {
    this.flusher = setInterval(() => this.flushOld(), WRITE_BEHIND.maxAgeMs);
    this.flusher.unref();
  }

  private flushOld(): void {
    for (const [partition, store] of this.stores) {
      try {
        store.flush(WRITE_BEHIND.maxAgeMs);
      } catch (e) {
        this.o.log("warn", `node ${this.o.nodeId}: table of partition ${partition}: ${(e as Error).message}; retried later (the changelog holds these changes: a restart restores them)`);
      }
    }
  }

  get changelogTopic(): string {
    return this.o.changelogTopic;
  }

  /** Per partition, the last batch's changes while not yet committed (the next batch reads through them). */
  private readonly latest = new Map<number, PendingChanges>();
  /** Per partition, how many times its store was restored: a batch from before the latest restore never writes it */
  private readonly restores = new Map<number, number>();

  /**
   * The partition's table for one batch; restores the store first when this generation has not.
   * Batches of a partition are asked for in their order; each reads what the one before wrote,
   * committed or not, and is committed after it (or discarded with it).
   */
  async forBatch(partition: number, generation: number): Promise<BatchTable> {
    const planned = this.o.partitions;
    if (planned !== undefined && partition >= planned) {
      // its input grew partitions since the deployment: this one's rows would have no changelog partition
      throw new Error(`node ${this.o.nodeId} keeps its table in ${planned} partitions and its input now has a partition ${partition}: the batch waits. Deploy again to be told how to go on (the table cannot be read in more partitions than it was built in)`);
    }
    const store = await this.ready(partition, generation);
    const restoredAs = this.restores.get(partition);
    const before = this.latest.get(partition);
    const pending = new PendingChanges(store, before?.open && before.store === store ? before : undefined);
    this.latest.set(partition, pending);
    const topic = this.o.changelogTopic;
    return {
      get: (key) => pending.get(key),
      put: (key, value) => pending.put(key, value as StoreValue),
      delete: (key) => pending.delete(key),
      changelog: () => pending.changelogMessages(partition),
      commit: (positions) => {
        // a batch of an earlier generation finishing after the partition was restored again: the
        // restore holds what the changelog had; its older values must not overwrite that
        if (this.restores.get(partition) !== restoredAs) {
          pending.discard();
          return;
        }
        pending.commit(changelogCheckpoint(positions, topic));
      },
      reset: () => pending.reset(),
      discard: () => {
        const before = pending.pendingBefore;
        pending.discard();
        // the next batch (fetched again from here) reads through what is still on its way
        if (this.latest.get(partition) === pending) {
          if (before) this.latest.set(partition, before);
          else this.latest.delete(partition);
        }
      },
    };
  }

  private async ready(partition: number, generation: number): Promise<PartitionStore> {
    const store = this.stores.get(partition);
    if (store && this.restoredIn.get(partition) === generation) return store;
    let p = this.restoring.get(partition);
    if (!p) {
      p = this.restore(partition, generation).finally(() => this.restoring.delete(partition));
      this.restoring.set(partition, p);
    }
    return p;
  }

  private async restore(partition: number, generation: number): Promise<PartitionStore> {
    // batches of an earlier generation are not read through: the restore brings what they committed
    this.latest.delete(partition);
    this.restores.set(partition, (this.restores.get(partition) ?? 0) + 1);
    let store = this.stores.get(partition);
    if (!store) {
      store = PartitionStore.open({
        directory: storeDirectory(this.o.dataDir, this.o.flowId, this.o.nodeId, partition),
        maxBytes: this.o.maxBytes ?? DEFAULT_TABLE_MAX_BYTES,
        label: `${this.o.flowId}/${this.o.nodeId}/partition ${partition}`,
      });
      this.stores.set(partition, store);
    }
    let r: RestoreResult;
    let snapshot: string | undefined;
    try {
      if (store.checkpoint() === undefined && this.o.startFromSnapshot) {
        // a snapshot that cannot be loaded costs only time: the changelog holds the whole table
        snapshot = await this.o.startFromSnapshot(partition, store).catch((e: unknown) => {
          store!.wipe();
          this.o.log("warn", `node ${this.o.nodeId}: table of partition ${partition}: loading a snapshot failed (${(e as Error).message}); restoring from the changelog's start`);
          return undefined;
        });
      }
      r = await restoreStore(this.o.kafka, store, { topic: this.o.changelogTopic, partition, quietMs: 500, onProgress: (p) => this.o.progress?.(partition, p.done, p.total) });
    } finally {
      // finished (or failed, to be tried again): no longer restoring
      this.o.progress?.(partition, 1, 1);
    }
    this.restoredIn.set(partition, generation);
    if (r.restoredRecords > 0 || r.wiped || snapshot) this.o.log("info", `node ${this.o.nodeId}: table of partition ${partition} restored ${snapshot ? `from ${snapshot}, then ` : ""}from ${this.o.changelogTopic}: ${r.restoredRecords} change(s), offsets ${r.from}…${r.to}, in ${r.ms} ms${r.wiped ? " (from the start)" : ""}`);
    return store;
  }

  /** The store of a partition this engine has open (for interactive queries), else undefined. */
  store(partition: number): PartitionStore | undefined {
    return this.restoredIn.has(partition) ? this.stores.get(partition) : undefined;
  }

  partitions(): number[] {
    return [...this.restoredIn.keys()];
  }

  /** `drop`: the flow no longer runs: its stores go too (the changelog keeps the tables; a later start restores them from it). */
  async close(drop = false): Promise<void> {
    clearInterval(this.flusher);
    await Promise.allSettled([...this.restoring.values()]);
    for (const [partition, s] of this.stores) {
      await s.close().catch(() => {});
      if (drop) await rm(storeDirectory(this.o.dataDir, this.o.flowId, this.o.nodeId, partition), { recursive: true, force: true }).catch(() => {});
    }
    this.stores.clear();
    this.restoredIn.clear();
  }
}
