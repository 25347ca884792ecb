import pg from "pg";
import { query, sql } from "./sql.js";

/**
 * One dedicated Postgres session holding session advisory locks (the leases of single-owner
 * work). A session, not a pool: the locks belong to the connection that took them, and Postgres
 * frees them the moment that connection ends (even when the engine is killed). When the
 * connection fails `onLost` is called once and every lock is gone; the next `connect` opens a new one.
 */
export class AdvisoryLockSession {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly onLost: (e: Error) => void,
  ) {}

  /** Opens the session unless it is open; throws when Postgres cannot be reached. */
  async connect(): Promise<void> {
    if (this.client) return;
    this.connecting ??= (async () => {
      const c = new pg.Client({ connectionString: this.databaseUrl, application_name: "millrace-leases", keepAlive: true, connectionTimeoutMillis: 10_000 });
      c.on("error", (e) => this.lost(c, e));
      c.on("end", () => this.lost(c, new Error("connection ended")));
      try {
        await c.connect();
      } catch (e) {
        this.connecting = undefined;
        throw e;
      }
      this.client = c;
      this.connecting = undefined;
      return c;
    })();
    await this.connecting;
  }

  private lost(c: pg.Client, e: Error): void {
    if (this.client !== c) return;
    this.client = undefined;
    this.onLost(e);
  }

  /** Takes the lock unless another session holds it; throws when the session is gone. */
  async tryLock(key: string): Promise<boolean> {
    if (!this.client) throw new Error("the lease connection is not open");
    const r = await query<{ ok: boolean }>(this.client, sql`SELECT pg_try_advisory_lock(${key}::bigint) AS ok`);
    return r.rows[0]?.ok === true;
  }

  /** Releases a lock; nothing to do when the session is gone (its locks went with it). */
  async unlock(key: string): Promise<void> {
    if (this.client) await query(this.client, sql`SELECT pg_advisory_unlock(${key}::bigint)`).catch(() => {});
  }

  /** Ends the session: Postgres frees every lock it still holds. */
  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => {});
  }
}
