import { createHash } from "node:crypto";
import { AdvisoryLockSession } from "../db/advisory-locks.js";
import { errorMessage, logger, type Logger } from "../log.js";

export interface LeaseHandlers {
  /** Called once the lease is ours; a throw releases it and we try again later. */
  acquired(): Promise<void>;
  /** Called when the lease is gone (our Postgres session died) or released: stop the work now. */
  lost(): Promise<void>;
}

interface Wanted {
  name: string;
  key: string;
  handlers: LeaseHandlers;
  held: boolean;
  busy: boolean;
}

/** A signed 64-bit advisory-lock key from a name (first 8 bytes of its SHA-256). */
export function lockKey(name: string): string {
  return createHash("sha256").update(`millrace-lease:${name}`).digest().readBigInt64BE(0).toString();
}

/**
 * Single-owner work (sources that are not Kafka consumers) through Postgres session advisory
 * locks on one dedicated connection per engine. When an engine dies (even kill -9) its
 * session ends and Postgres frees its locks at once; the other engines try every
 * `intervalMs`, so the work moves within about that time. When our own connection fails,
 * every lease is reported lost first (another engine may take it over right away).
 */
export class LeaseManager {
  private readonly session: AdvisoryLockSession;
  private readonly wanted = new Map<string, Wanted>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private ticking = false;

  constructor(
    databaseUrl: string,
    private readonly log: Logger = logger.child({ module: "leases" }),
    private readonly intervalMs = 2000,
  ) {
    this.session = new AdvisoryLockSession(databaseUrl, (e) => this.connectionLost(e));
  }

  start(): void {
    this.timer = setInterval(() => void this.tick().catch((e) => this.tickFailed(e)), this.intervalMs);
    this.timer.unref();
  }

  /** Registers interest in a lease; returns a function that releases it (calling `lost` if held). */
  want(name: string, handlers: LeaseHandlers): () => Promise<void> {
    if (this.wanted.has(name)) throw new Error(`lease ${name} is already wanted`);
    const w: Wanted = { name, key: lockKey(name), handlers, held: false, busy: false };
    this.wanted.set(name, w);
    void this.tick().catch((e) => this.tickFailed(e));
    return async () => {
      this.wanted.delete(name);
      await this.drop(w, true);
    };
  }

  private tickFailed(e: unknown): void {
    this.log.error({ err: e }, `lease check failed: ${errorMessage(e)}; retried in ${this.intervalMs / 1000} s (check that Postgres is reachable at DATABASE_URL)`);
  }

  held(name: string): boolean {
    return this.wanted.get(name)?.held ?? false;
  }

  private connectionLost(e: Error): void {
    if (!this.closed) {
      this.log.warn(
        { err: e },
        `lease connection to Postgres lost (${e.message}): stopping this engine's single-owner work (sources) now; it restarts here or on another engine once a connection holds the lease`,
      );
    }
    for (const w of this.wanted.values()) if (w.held) void this.drop(w, false).catch(() => {});
  }

  private async drop(w: Wanted, unlock: boolean): Promise<void> {
    if (!w.held) return;
    w.held = false;
    try {
      await w.handlers.lost();
    } catch (e) {
      this.log.error({ err: e, lease: w.name }, `lease ${w.name}: stopping its work failed: ${errorMessage(e)}; the lease is released anyway`);
    }
    if (unlock) await this.session.unlock(w.key);
  }

  private async tick(): Promise<void> {
    if (this.closed || this.ticking) return;
    this.ticking = true;
    try {
      const todo = [...this.wanted.values()].filter((w) => !w.held && !w.busy);
      if (!todo.length) return;
      try {
        await this.session.connect();
      } catch (e) {
        this.log.warn({ err: e }, `leases: cannot reach Postgres (${errorMessage(e)}); single-owner work (sources) waits until it can, retried every ${this.intervalMs / 1000} s; check DATABASE_URL and the database`);
        return;
      }
      for (const w of todo) {
        if (this.wanted.get(w.name) !== w) continue;
        let got = false;
        try {
          got = await this.session.tryLock(w.key);
        } catch {
          return;
        }
        if (!got) continue;
        if (this.wanted.get(w.name) !== w) {
          await this.session.unlock(w.key);
          continue;
        }
        w.held = true;
        w.busy = true;
        try {
          await w.handlers.acquired();
        } catch (e) {
          this.log.warn({ err: e, lease: w.name }, `lease ${w.name}: starting its work failed (${errorMessage(e)}); the lease is released and retried in ${this.intervalMs / 1000} s`);
          await this.drop(w, true);
        } finally {
          w.busy = false;
        }
      }
    } finally {
      this.ticking = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const w of [...this.wanted.values()]) await this.drop(w, true);
    this.wanted.clear();
    await this.session.close();
  }
}
