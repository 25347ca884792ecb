import { join } from "node:path";
import { open, type Database, type RootDatabase } from "lmdb";
import { nameComponent } from "../planner/index.js";

/**
 * The local state of one stateful node for one input partition: an lmdb environment holding the
 * node's table (key → JSON value) and, beside it, the changelog offset the table reflects.
 *
 * The table and its checkpoint live in two named databases of one environment, so a batch of
 * changes and the checkpoint it moves to are committed in one lmdb transaction: after a crash
 * the checkpoint never claims changes the table lacks, nor the reverse.
 */

/** A JSON value as a table holds it. */
export type StoreValue = string | number | boolean | null | StoreValue[] | { [key: string]: StoreValue };

/** One change of a table: `value` null deletes the key (a tombstone in the changelog). */
export interface StoreChange {
  key: string;
  value: StoreValue | null;
}

export interface StoreEntry {
  key: string;
  value: StoreValue;
}

export interface StoreSize {
  entries: number;
  /** the pages holding the table's entries (the file can be larger: it keeps freed pages for reuse) */
  bytes: number;
  maxBytes: number;
}

export interface ScanOptions {
  /** only keys starting with this ("" or absent: every key) */
  prefix?: string;
  /** at most this many entries (default 100) */
  limit?: number;
  /** resume after this key (exclusive), for paging */
  after?: string;
}

export interface PartitionStoreOptions {
  /** the store's own directory (see storeDirectory); created when missing */
  directory: string;
  /** bound of the table's size: a batch adding data to a store at or beyond it is refused (StoreFullError) */
  maxBytes: number;
  /** names the store in errors, e.g. `flow/node/partition 3` */
  label?: string;
}

/** lmdb's limit with its default page size */
export const MAX_KEY_BYTES = 1978;
/** a key this short cannot exceed MAX_KEY_BYTES in UTF-8 (3 bytes per UTF-16 unit at most), so its byte length is not measured */
const SURELY_SHORT_KEY = Math.floor(MAX_KEY_BYTES / 3);

const CHECKPOINT_KEY = "changelog-offset";

export class StoreFullError extends Error {
  constructor(
    readonly label: string,
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(
      `state store ${label} is full: ${mb(bytes)} used of its ${mb(maxBytes)} bound; the batch was not written. Raise the node's state size limit or make its keys fewer (e.g. shorter windows)`,
    );
    this.name = "StoreFullError";
  }
}

function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** `<dataDir>/state/<flow>/<node>/<partition>`, each name made safe for a path. */
export function storeDirectory(dataDir: string, flowId: string, nodeId: string, partition: number): string {
  return join(dataDir, "state", nameComponent(flowId), nameComponent(nodeId), String(partition));
}

/**
 * Windowed keys: `<key>\u0001<window start>`, the start in milliseconds since the epoch as 15
 * decimal digits. lmdb orders string keys by their UTF-8 bytes, so a group key's windows are
 * adjacent, in time order, and found by a prefix scan of `<key>\u0001`; \u0001 is refused in
 * group keys (like \u0000, which lmdb cannot store) so the split is never ambiguous.
 */
export const WINDOW_SEPARATOR = "\u0001";
const WINDOW_START_DIGITS = 15;

export function windowedKey(key: string, windowStartMs: number): string {
  if (key.includes(WINDOW_SEPARATOR)) throw new Error(`group key ${JSON.stringify(key)} contains \\u0001, which separates a windowed key's window`);
  if (!Number.isSafeInteger(windowStartMs) || windowStartMs < 0) throw new Error(`window start ${windowStartMs} is not a whole number of milliseconds ≥ 0`);
  return `${key}${WINDOW_SEPARATOR}${String(windowStartMs).padStart(WINDOW_START_DIGITS, "0")}`;
}

/** The group key and window start of a windowedKey(); undefined for a key without a window. */
export function parseWindowedKey(stored: string): { key: string; windowStartMs: number } | undefined {
  const at = stored.lastIndexOf(WINDOW_SEPARATOR);
  if (at < 0) return undefined;
  return { key: stored.slice(0, at), windowStartMs: Number(stored.slice(at + 1)) };
}

export class PartitionStore {
  readonly label: string;
  readonly maxBytes: number;
  private constructor(
    private readonly root: RootDatabase,
    private readonly table: Database<StoreValue, string>,
    private readonly meta: Database<number, string>,
    opts: PartitionStoreOptions,
  ) {
    this.label = opts.label ?? opts.directory;
    this.maxBytes = opts.maxBytes;
  }

  static open(opts: PartitionStoreOptions): PartitionStore {
    if (!(opts.maxBytes > 0)) throw new Error(`state store ${opts.label ?? opts.directory}: maxBytes must be > 0, got ${opts.maxBytes}`);
    let root: RootDatabase;
    // noSync: the changelog is what lasts, not this file (as Kafka Streams runs RocksDB without
    // its WAL). A killed process loses nothing (the pages are in the OS's cache); a machine crash
    // may take back the last transactions, checkpoint included, so the store goes back to an
    // older consistent state that its restore brings forward again. Syncing each batch would
    // cost about 7 ms a batch.
    try {
      root = open({ path: opts.directory, mapSize: opts.maxBytes, maxDbs: 2, noSync: true });
    } catch (e) {
      throw new Error(`state store ${opts.label ?? opts.directory}: cannot open ${opts.directory}: ${(e as Error).message}`, { cause: e });
    }
    const table = root.openDB<StoreValue, string>({ name: "table" });
    const meta = root.openDB<number, string>({ name: "meta" });
    return new PartitionStore(root, table, meta, opts);
  }

  get(key: string): StoreValue | undefined {
    return this.table.get(key);
  }

  /**
   * Applies `changes` in order and, when given, sets the checkpoint (the next changelog offset
   * to read), all in one lmdb transaction: either all of it is stored or none.
   * `checkpoint` null clears it (the store no longer claims to match any changelog position).
   */
  write(changes: readonly StoreChange[] | ReadonlyMap<string, StoreValue | null>, checkpoint?: number | null): void {
    const many = changes instanceof Map;
    let adds = false;
    if (many) {
      // keys validated when they were put (PendingChanges)
      changes.forEach((value) => {
        if (value !== null) adds = true;
      });
    } else {
      const list = changes as readonly StoreChange[];
      for (let i = 0; i < list.length; i++) {
        const c = list[i]!;
        this.validateKey(c.key);
        if (c.value !== null) adds = true;
      }
    }
    // deletions alone pass even when full: they are how a full store gets smaller
    if (adds) {
      const bytes = this.usedBytes();
      if (bytes >= this.maxBytes) throw new StoreFullError(this.label, bytes, this.maxBytes);
    }
    if (checkpoint !== undefined && checkpoint !== null && !(Number.isSafeInteger(checkpoint) && checkpoint >= 0)) {
      throw new Error(`state store ${this.label}: checkpoint ${checkpoint} is not an offset`);
    }
    const { table, meta } = this;
    try {
      this.root.transactionSync(() => {
        if (many) {
          changes.forEach((value, key) => {
            if (value === null) table.removeSync(key);
            else table.putSync(key, value);
          });
        } else {
          const list = changes as readonly StoreChange[];
          for (let i = 0; i < list.length; i++) {
            const c = list[i]!;
            if (c.value === null) table.removeSync(c.key);
            else table.putSync(c.key, c.value);
          }
        }
        if (checkpoint === null) meta.removeSync(CHECKPOINT_KEY);
        else if (checkpoint !== undefined) meta.putSync(CHECKPOINT_KEY, checkpoint);
      });
    } catch (e) {
      throw new Error(`state store ${this.label}: writing a batch of ${many ? changes.size : (changes as readonly StoreChange[]).length} changes failed: ${(e as Error).message}`, { cause: e });
    }
  }

  /** The next changelog offset the table has not seen; undefined when the store has no checkpoint. */
  checkpoint(): number | undefined {
    return this.meta.get(CHECKPOINT_KEY);
  }

  setCheckpoint(offset: number | null): void {
    this.write([], offset);
  }

  /** Entries in key order (UTF-8 byte order), for interactive queries. */
  scan(opts: ScanOptions = {}): StoreEntry[] {
    const prefix = opts.prefix ?? "";
    const limit = opts.limit ?? 100;
    const out: StoreEntry[] = [];
    if (limit <= 0) return out;
    const after = opts.after;
    const start = after !== undefined && after > prefix ? after : prefix;
    for (const { key, value } of this.table.getRange(start === "" ? {} : { start })) {
      if (!key.startsWith(prefix)) break;
      if (key === after) continue;
      out.push({ key, value });
      if (out.length >= limit) break;
    }
    return out;
  }

  size(): StoreSize {
    return { entries: (this.table.getStats() as { entryCount: number }).entryCount, bytes: this.usedBytes(), maxBytes: this.maxBytes };
  }

  /** Empties the table and drops the checkpoint (one transaction): a restore then starts from the changelog's beginning. */
  wipe(): void {
    const { table, meta } = this;
    this.root.transactionSync(() => {
      table.clearSync();
      meta.clearSync();
    });
  }

  async close(): Promise<void> {
    await this.root.close();
  }

  /** the pages the table holds (lmdb reuses pages freed by deletions, so this shrinks with them; the file does not) */
  private usedBytes(): number {
    const s = this.table.getStats() as { pageSize: number; treeBranchPageCount: number; treeLeafPageCount: number; overflowPages: number };
    return (s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages) * s.pageSize;
  }

  /** Throws naming the store and the key when the store cannot hold `key`. */
  validateKey(key: string): void {
    if (typeof key !== "string" || key === "") throw new Error(`state store ${this.label}: key ${JSON.stringify(key)} is not a non-empty string`);
    if (key.includes("\u0000")) throw new Error(`state store ${this.label}: key ${JSON.stringify(key)} contains \\u0000, which the store cannot hold`);
    if (key.length > SURELY_SHORT_KEY && Buffer.byteLength(key) > MAX_KEY_BYTES) {
      throw new Error(`state store ${this.label}: key of ${Buffer.byteLength(key)} bytes (starting ${JSON.stringify(key.slice(0, 40))}) is longer than ${MAX_KEY_BYTES} bytes`);
    }
  }
}
