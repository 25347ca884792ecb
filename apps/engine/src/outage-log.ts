import type { Logger } from "./log.js";

/**
 * Logs a repeated failure (a periodic Postgres write or read) once when it starts and once when
 * it ends, instead of at every retry: an outage of a minute is two lines, not sixty.
 */
export class OutageLog {
  private since: number | undefined;
  private failures = 0;

  constructor(
    private readonly log: Logger,
    /** what works again, for the closing line ("publishing flow stats") */
    private readonly what: string,
  ) {}

  /** A failed attempt: `message` is logged (error level) when it is the first since the last success. */
  failed(e: unknown, message: string): void {
    this.failures++;
    if (this.since !== undefined) return;
    this.since = Date.now();
    this.log.error({ err: e }, `${message} (not logged again until it works)`);
  }

  /** A successful attempt: closes an open outage with one line. */
  worked(): void {
    if (this.since === undefined) return;
    const secs = Math.round((Date.now() - this.since) / 1000);
    this.log.info({ failures: this.failures, outageSeconds: secs }, `${this.what} works again after ${secs} s (${this.failures} failed attempts)`);
    this.since = undefined;
    this.failures = 0;
  }
}
