import { setTimeout as sleep } from "node:timers/promises";
import type { TopicPartitionOffset } from "../kafka/index.js";

/** Shortest time between two offset commits of a consumer stage (at-least-once). */
export const COMMIT_INTERVAL_MS = 100;

/** A commit that failed this many times is given up: its records were produced, so at worst they are consumed again. */
const MAX_COMMIT_FAILURES = 3;

export interface OffsetCommitterOptions {
  /** commits offsets (the next offset to read per partition) of one consumer */
  commit(offsets: TopicPartitionOffset[]): Promise<void>;
  /** true when nothing may be committed any more (stopping, or the consumer was replaced): what is pending is dropped */
  halted(): boolean;
  /** a commit failed (it is retried) */
  failed(error: Error): void;
  intervalMs?: number;
  /** wait after a failed commit (ms, default 500) */
  retryDelayMs?: number;
}

interface PendingCommit {
  offset: TopicPartitionOffset;
  /** run once the offset (or a newer one of its partition) is committed */
  done: (() => void)[];
  failures: number;
}

/**
 * Commits one consumer's offsets after their batches were acknowledged, without holding up the
 * partitions' next produce: commits of every partition are coalesced into one request, one in
 * flight at a time and at most one per `intervalMs` (COMMIT_INTERVAL_MS). At a few thousand
 * records/s the batches are small, and a commit per batch was a large share of the engine's
 * requests (a socket write each) for nothing but a smaller redelivery window. Nothing is
 * committed once halted: those records are consumed again later (at-least-once).
 */
export class OffsetCommitter {
  /** per input partition, the newest acknowledged offset not yet committed */
  private readonly pending = new Map<string, PendingCommit>();
  private committing: Promise<void> | undefined;
  private lastCommitAt = 0;
  private stopped = false;
  /** ends the wait before the next commit (stop, flush) */
  private wake: (() => void) | undefined;
  /** set while flush waits: no waiting for the interval */
  private flushing = false;

  constructor(private readonly o: OffsetCommitterOptions) {}

  /** Commits `next` soon; `done` runs once it is committed (never if it is dropped). */
  add(next: TopicPartitionOffset, done: () => void): void {
    const k = `${next.topic}\0${next.partition}`;
    const p = this.pending.get(k);
    if (p) {
      p.offset = next;
      p.done.push(done);
    } else this.pending.set(k, { offset: next, done: [done], failures: 0 });
    this.committing ??= this.commitLoop().finally(() => (this.committing = undefined));
  }

  /** Stops waiting for the interval: the pending offsets are dropped once `halted()` says so. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  /**
   * Commits what is pending now, without waiting for the interval, and resolves once nothing is
   * pending or under way (a commit given up after its failures included): the partitions are
   * about to be given up, and their next owner starts from what is committed here.
   */
  async flush(): Promise<void> {
    this.flushing = true;
    this.wake?.();
    try {
      while (this.committing) await this.committing.catch(() => {});
    } finally {
      this.flushing = false;
    }
  }

  /** Resolves when no commit is under way. */
  async settled(): Promise<void> {
    await this.committing?.catch(() => {});
  }

  private async commitLoop(): Promise<void> {
    const interval = this.o.intervalMs ?? COMMIT_INTERVAL_MS;
    while (this.pending.size) {
      const wait = this.lastCommitAt + interval - Date.now();
      if (wait > 0 && !this.stopped && !this.flushing) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, wait);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = undefined;
      }
      if (this.stopped || this.o.halted()) {
        this.pending.clear();
        return;
      }
      const list = [...this.pending.entries()];
      this.pending.clear();
      this.lastCommitAt = Date.now();
      try {
        await this.o.commit(list.map(([, x]) => x.offset));
      } catch (e) {
        this.o.failed(e instanceof Error ? e : new Error(String(e)));
        // retried with the next commit (a newer offset of the same partition supersedes it)
        for (const [k, x] of list) {
          if (++x.failures >= MAX_COMMIT_FAILURES) continue;
          const cur = this.pending.get(k);
          if (cur) cur.done.unshift(...x.done);
          else this.pending.set(k, x);
        }
        await sleep(this.o.retryDelayMs ?? 500);
        continue;
      }
      for (const [, x] of list) for (const d of x.done) d();
    }
  }
}
