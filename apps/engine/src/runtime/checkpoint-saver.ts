import { setTimeout as sleep } from "node:timers/promises";

export interface CheckpointSaverEvents {
  /** the first failed save since the last one that worked (once per outage) */
  failed(error: unknown): void;
  /** a save worked again after `failures` failed attempts */
  recovered(failures: number): void;
}

/**
 * Saves a polled source's checkpoint in the background so that the poll loop never waits on
 * Postgres: one save in flight, the newest checkpoint offered meanwhile wins (the ones between
 * are skipped), a failed save is retried after `retryMs` unless a newer one came. Callers offer
 * a checkpoint only once the records before it are produced, and saves run in the order
 * offered, so the stored checkpoint only moves forward over produced records (at-least-once).
 */
export class CheckpointSaver {
  private pending = false;
  private next: unknown;
  private inFlight: Promise<void> | undefined;
  private closing = false;
  private failures = 0;
  /** the newest checkpoint offered (saved, being saved or waiting) */
  offered: unknown;

  constructor(
    private readonly save: (checkpoint: unknown) => Promise<void>,
    initial: unknown,
    private readonly events: CheckpointSaverEvents,
    private readonly retryMs = 1000,
  ) {
    this.offered = initial;
  }

  /** Queues `checkpoint` to be saved; returns at once. */
  offer(checkpoint: unknown): void {
    this.offered = checkpoint;
    this.next = checkpoint;
    this.pending = true;
    this.inFlight ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending) {
        const checkpoint = this.next;
        this.pending = false;
        try {
          await this.save(checkpoint);
          if (this.failures) this.events.recovered(this.failures);
          this.failures = 0;
        } catch (e) {
          if (this.failures++ === 0) this.events.failed(e);
          if (this.closing) continue; // a newer checkpoint offered by close is still tried once
          if (!this.pending) {
            this.next = checkpoint;
            this.pending = true;
          }
          await sleep(this.retryMs);
        }
      }
    } finally {
      this.inFlight = undefined;
    }
  }

  /**
   * Saves `last` (unless it was offered already) and waits for the save in flight; a save that
   * fails now is not retried: the source resumes from the last checkpoint that was saved.
   */
  async close(last: unknown): Promise<void> {
    if (last !== undefined && last !== this.offered) this.offer(last);
    this.closing = true;
    await this.inFlight;
  }
}
