/**
 * Runs one piece of work per key at a time, in arrival order. The registry queues a subject's
 * writes here before asking Postgres for the subject's lock, so at most one of this process's
 * requests per subject holds a pooled connection while waiting on that lock.
 */
export class KeyedQueue {
  /** the last work queued per key; removed when it finishes with nothing behind it */
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key);
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    this.tails.set(key, mine);
    try {
      await before;
      return await work();
    } finally {
      done();
      if (this.tails.get(key) === mine) this.tails.delete(key);
    }
  }

  /** keys with work running or waiting */
  get size(): number {
    return this.tails.size;
  }
}
