/** Copied batches remembered per partition for offset translation (older ones are forgotten). */
const SYNCS_PER_PARTITION = 256;

interface OffsetSync {
  /** first and last source offset of a copied batch */
  upFirst: number;
  upLast: number;
  /** offset of its first copy on the target */
  downFirst: number;
  /** copies written */
  count: number;
}

/**
 * Where copied source offsets landed on the target, per partition, from the produce acks:
 * MirrorMaker 2's offset syncs, kept in memory (a restart starts a new index with the next
 * batch copied). A batch of contiguous source offsets maps one to one; across gaps (compacted
 * topics, transaction markers) a translation falls back to the start of the batch: a consumer
 * may read a few messages again, never skips one.
 */
export class OffsetIndex {
  private readonly syncs = new Map<string, OffsetSync[]>();

  /** Remembers a copied batch: source offsets `upFirst`..`upLast`, `count` copies from `downFirst` on. */
  add(topic: string, partition: number, upFirst: number, upLast: number, downFirst: number, count: number): void {
    const k = `${topic}\0${partition}`;
    let list = this.syncs.get(k);
    if (!list) this.syncs.set(k, (list = []));
    list.push({ upFirst, upLast, downFirst, count });
    if (list.length > SYNCS_PER_PARTITION) list.splice(0, list.length - SYNCS_PER_PARTITION);
  }

  forget(topic: string, partition: number): void {
    this.syncs.delete(`${topic}\0${partition}`);
  }

  /**
   * The target offset a consumer whose source position (next offset to read) is `upstream`
   * continues at: undefined when the index does not reach back that far.
   */
  translate(topic: string, partition: number, upstream: number): number | undefined {
    const list = this.syncs.get(`${topic}\0${partition}`);
    if (!list?.length || upstream < list[0]!.upFirst) return undefined;
    // the newest batch starting at or before the position
    let lo = 0;
    let hi = list.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (list[mid]!.upFirst <= upstream) lo = mid;
      else hi = mid - 1;
    }
    const s = list[lo]!;
    if (upstream > s.upLast) return s.downFirst + s.count; // past it: after its last copy
    const contiguous = s.upLast - s.upFirst + 1 === s.count;
    return contiguous ? s.downFirst + (upstream - s.upFirst) : s.downFirst;
  }
}
