import { createHash } from "node:crypto";
import { AdvisoryLockSession } from "../db/advisory-locks.js";
import { errorMessage, logger, type Logger } from "../log.js";

export interface LeaseHandlers {
  /** Called once the lease is ours; a throw releases it and we try again later. */
  acquired(): Promise<void>;
  /** Called when the lease is gone (known taken by another session, or not back within the grace period) or released: stop the work now. */
  lost(): Promise<void>;
}

interface Wanted {
  name: string;
  key: string;
  handlers: LeaseHandlers;
  held: boolean;
  busy: boolean;
  /** held, but our session died at this time (ms) and we have not locked it again since */
  unsureSince?: number;
}

/** A signed 64-bit advisory-lock key from a name (first 8 bytes of its SHA-256). */
export function lockKey(name: string): string {
  return createHash("sha256").update(`millrace-lease:${name}`).digest().readBigInt64BE(0).toString();
}

/**
 * Single-owner work (sources that are not Kafka consumers) through Postgres session advisory
 * locks on one dedicated connection per engine. When an engine dies (even kill -9) its
 * session ends and Postgres frees its locks at once; the other engines try every
 * `intervalMs`, so the work moves within about that time.
 *
 * When our own connection fails, nobody can tell at once whether Postgres noticed (and freed the
 * locks) or whether only the network between us is down. The work keeps running meanwhile, so
 * that a Postgres outage does not stop the flows: every `intervalMs` we reconnect and lock each
 * held lease again. Locked again: the work never stopped. Refused (another session holds it, so
 * another engine took it over): its work stops now. Not back within `graceMs` (Postgres still
 * unreachable): its work stops. The price: when only this engine is cut off from Postgres while
 * another engine reaches it, both may run a source for up to `graceMs` (at-least-once flows may
 * see duplicates from that window; exactly-once sources are fenced by their transactional id).
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
    private readonly graceMs = 30_000,
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
    if (this.closed) return;
    const now = Date.now();
    let held = 0;
    for (const w of this.wanted.values()) {
      if (!w.held) continue;
      held++;
      w.unsureSince ??= now;
    }
    this.log.warn(
      { err: e, held },
      `lease connection to Postgres lost (${e.message}): this engine's single-owner work (${held} sources) keeps running while it reconnects and locks its leases again, for at most ${this.graceMs / 1000} s; a lease another engine took meanwhile stops here at once`,
    );
  }

  /** After a lost connection: lock each held lease again, or stop its work when that is refused or too late. */
  private async reclaim(unsure: Wanted[], connected: boolean): Promise<void> {
    const now = Date.now();
    for (const w of unsure) {
      if (this.wanted.get(w.name) !== w || !w.held || w.unsureSince === undefined) continue;
      let got: boolean | undefined;
      if (connected) got = await this.session.tryLock(w.key).catch(() => undefined);
      if (got === true) {
        this.log.info({ lease: w.name }, `lease ${w.name}: locked again after ${Math.round((now - w.unsureSince) / 1000)} s without Postgres; its work went on meanwhile`);
        w.unsureSince = undefined;
      } else if (got === false) {
        this.log.warn({ lease: w.name }, `lease ${w.name}: another engine holds it since our connection to Postgres was lost; stopping its work here`);
        w.unsureSince = undefined;
        await this.drop(w, false);
      } else if (now - w.unsureSince >= this.graceMs) {
        this.log.warn({ lease: w.name }, `lease ${w.name}: Postgres unreachable for ${this.graceMs / 1000} s, the lease cannot be confirmed; stopping its work here (it restarts once a connection holds the lease)`);
        w.unsureSince = undefined;
        await this.drop(w, false);
      }
    }
  }

  private async drop(w: Wanted, unlock: boolean): Promise<void> {
    if (!w.held) return;
    w.held = false;
    w.unsureSince = undefined;
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
      const unsure = [...this.wanted.values()].filter((w) => w.held && w.unsureSince !== undefined);
      if (!todo.length && !unsure.length) return;
      await this.reclaim(unsure, false); // the grace period ends on time even when connecting hangs
      try {
        await this.session.connect();
      } catch (e) {
        if (todo.length) this.log.warn({ err: e }, `leases: cannot reach Postgres (${errorMessage(e)}); single-owner work (sources) waits until it can, retried every ${this.intervalMs / 1000} s; check DATABASE_URL and the database`);
        return;
      }
      await this.reclaim(unsure, true);
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
