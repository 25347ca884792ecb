import { query, raw, sql, type Queryable } from "./sql.js";

/**
 * What Postgres' checkpointer and autovacuum do, for a server without them: PGlite (the embedded database of
 * `pnpm start`) runs Postgres single-user, where no autovacuum worker exists. Tables updated in
 * place (engine_stats every second, source_checkpoint after every batch, user_session on every
 * request) keep their dead row versions, and TOASTed ones their dead chunks, until a VACUUM.
 * The provenance partitions are insert-only and dropped whole: left out (reading them would hold
 * PGlite's single session for seconds).
 */
export class MaintenanceRepository {
  constructor(private readonly pool: Queryable) {}

  /** Writes dirty pages out so the WAL before them can be recycled. */
  async checkpoint(): Promise<void> {
    await query(this.pool, sql`CHECKPOINT`);
  }

  /** VACUUM (ANALYZE) of every ordinary table but provenance's partitions; returns the tables. */
  async vacuumUpdatedTables(): Promise<string[]> {
    const r = await query<{ name: string }>(
      this.pool,
      sql`SELECT c.relname AS name FROM pg_class c
          WHERE c.relkind = 'r' AND NOT c.relispartition AND c.relnamespace = 'public'::regnamespace
          ORDER BY 1`,
    );
    const names = r.rows.map((x) => x.name);
    // names from the catalogue, quoted: VACUUM takes no parameters
    if (names.length) await query(this.pool, sql`VACUUM (ANALYZE, SKIP_LOCKED) ${raw(names.map((n) => `"${n.replace(/"/g, '""')}"`).join(", "))}`);
    return names;
  }
}
