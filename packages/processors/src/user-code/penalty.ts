/**
 * A node whose records keep ending workers (NiFi's "penalize"): after each worker it ends, its
 * next attempts wait a backoff that doubles up to a ceiling, so poison input costs a worker start
 * and a record's time limit every few seconds instead of back to back; a batch that ends no worker
 * clears it. The ceiling stays small beside Kafka's rebalance timeout: the waiting stage keeps
 * heartbeating, but a rebalance waits for its batch.
 */
export interface PenaltyTimes {
  /** the wait after a node's first worker kill (ms) */
  firstMs: number;
  /** the longest wait (ms) */
  maxMs: number;
}

export const DEFAULT_PENALTY: PenaltyTimes = { firstMs: 1000, maxMs: 8000 };

export class Penalty {
  private backoffMs = 0;
  private until = 0;

  constructor(private readonly times: PenaltyTimes) {}

  /** A worker ended under one of this node's records. */
  workerKilled(now: number): void {
    this.backoffMs = this.backoffMs === 0 ? this.times.firstMs : Math.min(this.backoffMs * 2, this.times.maxMs);
    this.until = now + this.backoffMs;
  }

  /** A batch of this node ended no worker. */
  clear(): void {
    this.backoffMs = 0;
    this.until = 0;
  }

  /** The node ended a worker since its last clean batch. */
  get active(): boolean {
    return this.backoffMs > 0;
  }

  /** How long the node still waits (ms). */
  remainingMs(now: number): number {
    return this.until > now ? this.until - now : 0;
  }
}
