import type { OutMessage } from "../kafka/index.js";
import { changelogMessage } from "./changelog.js";
import type { PartitionStore, StoreValue } from "./store.js";

/** a change's size when its changelog record was not made */
const ASSUMED_CHANGE_BYTES = 64;

/**
 * One batch's changes to a PartitionStore, held until the batch's changelog records are
 * committed in Kafka; reads see them first.
 *
 * The store gets them only after that commit (commit()), with the checkpoint just past the
 * batch's changelog records: a crash before the Kafka commit leaves store and changelog as they
 * were (the batch is processed again), a crash after it leaves the store one batch behind a
 * checkpoint that still covers it (the restore reads that batch from the changelog). So the
 * store never holds a change the changelog lost, in either delivery mode.
 *
 * A key changed several times in a batch gives one change (the last), so the changelog gets
 * one record per key and batch.
 */
export class PendingChanges {
  /** null: deleted in this batch */
  private readonly pending = new Map<string, StoreValue | null>();
  private settled = false;
  /** the changes' size as their changelog records counted it (undefined: not made) */
  private bytes: number | undefined;

  /**
   * `before`: the previous batch of the partition while its changes are still on their way to
   * Kafka; this batch reads through them, so the two overlap (this one is processed while that
   * one is produced). The caller commits them in order and discards this one if that one fails.
   */
  constructor(
    readonly store: PartitionStore,
    private before?: PendingChanges,
  ) {}

  get(key: string): StoreValue | undefined {
    const v = this.pending.get(key);
    if (v !== undefined) return v === null ? undefined : v;
    const before = this.before;
    if (before !== undefined) {
      if (!before.settled) return before.get(key);
      this.before = undefined; // committed (its changes are in the store now) or discarded (and so is this batch)
    }
    return this.store.get(key);
  }

  /** still to be committed or discarded */
  get open(): boolean {
    return !this.settled;
  }

  /** Throws naming the key when the store cannot hold it (nothing is then pending for it). */
  put(key: string, value: StoreValue): void {
    // null is how a change says "deleted"; a stored JSON null would come back from the changelog as a deletion
    if (value === null || value === undefined) throw new Error(`state store ${this.store.label}: key ${JSON.stringify(key)} gets no value (use delete)`);
    this.store.validateKey(key);
    this.pending.set(key, value);
  }

  delete(key: string): void {
    this.store.validateKey(key);
    this.pending.set(key, null);
  }

  /** keys changed in this batch */
  get size(): number {
    return this.pending.size;
  }

  /** The batch's changes as changelog records for `partition`, one per key in the order keys were first changed, made straight from the pending map. */
  changelogMessages(partition: number): OutMessage[] {
    const out = new Array<OutMessage>(this.pending.size);
    let i = 0;
    let bytes = 0;
    this.pending.forEach((value, key) => {
      const m = changelogMessage(key, value, partition);
      bytes += key.length + (m.value === null ? 0 : (m.value as string).length);
      out[i++] = m;
    });
    this.bytes = bytes;
    return out;
  }

  /**
   * Hands the batch's changes and `checkpoint` to the store (written to lmdb together, see
   * PartitionStore.writeLater), then forgets them. Checkpoint undefined: the store keeps its own
   * (the offsets were not known).
   */
  commit(checkpoint: number | undefined): void {
    if (this.before?.settled === false) throw new Error(`state store ${this.store.label}: a batch committed before the batch it read through`);
    this.store.writeLater(this.pending, checkpoint, this.bytes ?? this.pending.size * ASSUMED_CHANGE_BYTES);
    this.pending.clear();
    this.settled = true;
    this.before = undefined;
  }

  /** Drops the changes made so far; the batch goes on (it is processed again, record by record). */
  reset(): void {
    this.pending.clear();
    this.bytes = undefined;
  }

  /** The previous batch still to be committed, if any (a batch discarded hands its place back to it). */
  get pendingBefore(): PendingChanges | undefined {
    return this.before?.settled === false ? this.before : undefined;
  }

  /** Drops the batch's changes for good (its Kafka transaction was aborted, or the partition was given up). */
  discard(): void {
    this.pending.clear();
    this.settled = true;
    this.before = undefined;
  }
}
