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

/**
 * Committed changes a store holds in memory before it writes them to lmdb (see writeLater): at
 * most this long, this many estimated bytes per store, and this many over all stores of the
 * process. An lmdb put or get costs about a microsecond, a Map's a twentieth of that, and a key
 * changed again before the write is written once; like Kafka Streams' stores between commits
 * (RocksDB's memtable, its changelog the durable copy).
 */
export const WRITE_BEHIND = { maxAgeMs: 10_000, maxBytesPerStore: 8 * 1024 * 1024, maxBytesTotal: 32 * 1024 * 1024 };
/** what an entry in memory is counted for on top of its key and value text */
const ENTRY_OVERHEAD_BYTES = 64;
/** estimated bytes of changes held in memory by every store of the process */
let heldBytesTotal = 0;

export class PartitionStore {
  readonly label: string;
  readonly maxBytes: number;
  /** committed changes not yet in lmdb, newest per key (null: deleted); reads see them first */
  private readonly held = new Map<string, StoreValue | null>();
  private heldBytes = 0;
  /** when the first of them was taken */
  private heldSince = 0;
  /** the checkpoint that goes with them (undefined: none given since the last write) */
  private heldCheckpoint: number | undefined;
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
    if (this.held.size !== 0) {
      const v = this.held.get(key);
      if (v !== undefined) return v === null ? undefined : v;
    }
    return this.table.get(key);
  }

  /**
   * Takes a committed batch's changes (keys validated when they were made, see PendingChanges)
   * and the checkpoint they bring the store to, and writes them to lmdb later, with that
   * checkpoint, in one transaction (see WRITE_BEHIND): until then reads see them here. A crash
   * meanwhile loses them from the store and its checkpoint alike, and the restore reads them
   * from the changelog again. `bytes`: the changes' estimated size (keys and value texts).
   * Refuses (StoreFullError) a batch adding data when the store is full.
   */
  writeLater(changes: ReadonlyMap<string, StoreValue | null>, checkpoint: number | undefined, bytes: number): void {
    let adds = false;
    changes.forEach((value) => {
      if (value !== null) adds = true;
    });
    if (adds) {
      const used = this.usedBytes() + this.heldBytes;
      if (used >= this.maxBytes) throw new StoreFullError(this.label, used, this.maxBytes);
    }
    this.validateCheckpoint(checkpoint);
    const held = this.held;
    // What is held already is written first when it is too much or too old, before this batch joins
    // it: a failed write then throws with this batch not taken, so its retry (the batch processed
    // again) reads and applies it once.
    if (held.size !== 0 && (this.heldBytes >= WRITE_BEHIND.maxBytesPerStore || heldBytesTotal >= WRITE_BEHIND.maxBytesTotal || Date.now() - this.heldSince >= WRITE_BEHIND.maxAgeMs)) this.flush();
    if (held.size === 0) this.heldSince = Date.now();
    changes.forEach((value, key) => {
      held.set(key, value);
    });
    const counted = bytes + changes.size * ENTRY_OVERHEAD_BYTES;
    this.heldBytes += counted;
    heldBytesTotal += counted;
    if (checkpoint !== undefined) this.heldCheckpoint = checkpoint;
  }

  /** how many keys' changes are held in memory, not yet in lmdb */
  get heldKeys(): number {
    return this.held.size;
  }

  /** Writes what writeLater holds to lmdb now (one transaction). `olderThanMs`: only when the oldest held change is at least that old. */
  flush(olderThanMs?: number): void {
    if (this.held.size === 0 && this.heldCheckpoint === undefined) return;
    if (olderThanMs !== undefined && Date.now() - this.heldSince < olderThanMs) return;
    const { table, meta, held } = this;
    const checkpoint = this.heldCheckpoint;
    try {
      this.root.transactionSync(() => {
        held.forEach((value, key) => {
          if (value === null) table.removeSync(key);
          else table.putSync(key, value);
        });
        if (checkpoint !== undefined) meta.putSync(CHECKPOINT_KEY, checkpoint);
      });
    } catch (e) {
      throw new Error(`state store ${this.label}: writing ${held.size} changes held in memory failed: ${(e as Error).message}`, { cause: e });
    }
    this.forgetHeld();
  }

  private forgetHeld(): void {
    this.held.clear();
    heldBytesTotal -= this.heldBytes;
    this.heldBytes = 0;
    this.heldCheckpoint = undefined;
  }

  private validateCheckpoint(checkpoint: number | null | undefined): void {
    if (checkpoint !== undefined && checkpoint !== null && !(Number.isSafeInteger(checkpoint) && checkpoint >= 0)) {
      throw new Error(`state store ${this.label}: checkpoint ${checkpoint} is not an offset`);
    }
  }

  /**
   * Applies `changes` in order and, when given, sets the checkpoint (the next changelog offset
   * to read), all in one lmdb transaction: either all of it is stored or none.
   * `checkpoint` null clears it (the store no longer claims to match any changelog position).
   */
  write(changes: readonly StoreChange[], checkpoint?: number | null): void {
    // what is held goes first: these changes come after it
    this.flush();
    let adds = false;
    for (let i = 0; i < changes.length; i++) {
      const c = changes[i]!;
      this.validateKey(c.key);
      if (c.value !== null) adds = true;
    }
    // deletions alone pass even when full: they are how a full store gets smaller
    if (adds) {
      const bytes = this.usedBytes();
      if (bytes >= this.maxBytes) throw new StoreFullError(this.label, bytes, this.maxBytes);
    }
    this.validateCheckpoint(checkpoint);
    const { table, meta } = this;
    try {
      this.root.transactionSync(() => {
        for (let i = 0; i < changes.length; i++) {
          const c = changes[i]!;
          if (c.value === null) table.removeSync(c.key);
          else table.putSync(c.key, c.value);
        }
        if (checkpoint === null) meta.removeSync(CHECKPOINT_KEY);
        else if (checkpoint !== undefined) meta.putSync(CHECKPOINT_KEY, checkpoint);
      });
    } catch (e) {
      throw new Error(`state store ${this.label}: writing a batch of ${changes.length} changes failed: ${(e as Error).message}`, { cause: e });
    }
  }

  /** The next changelog offset the table has not seen; undefined when the store has no checkpoint. */
  checkpoint(): number | undefined {
    this.flush();
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
    this.flush();
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
    this.flush();
    return { entries: (this.table.getStats() as { entryCount: number }).entryCount, bytes: this.usedBytes(), maxBytes: this.maxBytes };
  }

  /** Empties the table and drops the checkpoint (one transaction): a restore then starts from the changelog's beginning. */
  wipe(): void {
    this.forgetHeld();
    const { table, meta } = this;
    this.root.transactionSync(() => {
      table.clearSync();
      meta.clearSync();
    });
  }

  /** Writes what is held, then closes; what cannot be written is left to the restore (the changelog has it). */
  async close(): Promise<void> {
    try {
      this.flush();
    } catch {
      this.forgetHeld();
    }
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
