import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@millrace/testkit";
import { MaintenanceRepository } from "../db/index.js";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./server.js";

const MB = 1024 * 1024;
const walBytes = (dataDir: string) => readdirSync(join(dataDir, "pg_wal")).reduce((n, f) => n + (statSync(join(dataDir, "pg_wal", f)).isFile() ? statSync(join(dataDir, "pg_wal", f)).size : 0), 0);

describe("the embedded database's own checkpoints and vacuum (PGlite has no background workers)", () => {
  let dir: string;
  let server: EmbeddedPostgres;
  let pool: pg.Pool;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "millrace-pgmaint-"));
    server = await startEmbeddedPostgres(join(dir, "pgdata"), await freePort());
    pool = new pg.Pool({ connectionString: server.url, max: 1 });
  }, 60_000);
  afterAll(async () => {
    await pool?.end();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a CHECKPOINT brings the WAL back under its 64 MB bound after writes far beyond it", async () => {
    const maintenance = new MaintenanceRepository(pool);
    await pool.query("CREATE TABLE filler (pad text)");
    for (let i = 0; i < 5; i++) await pool.query("INSERT INTO filler SELECT repeat(md5(g::text), 8) FROM generate_series(1, 100000) g");
    await pool.query("DROP TABLE filler");
    const before = walBytes(join(dir, "pgdata"));
    expect(before).toBeGreaterThan(100 * MB);
    await maintenance.checkpoint();
    expect(walBytes(join(dir, "pgdata"))).toBeLessThanOrEqual(80 * MB);
  }, 120_000);

  it("VACUUM (ANALYZE) covers the tables updated in place, never a provenance partition", async () => {
    await pool.query("CREATE TABLE stats (k int primary key, v text)");
    await pool.query("CREATE TABLE lineage (part int, x text) PARTITION BY RANGE (part)");
    await pool.query("CREATE TABLE lineage_1 PARTITION OF lineage FOR VALUES FROM (1) TO (2)");
    await pool.query("INSERT INTO stats SELECT g, 'a' FROM generate_series(1, 1000) g");
    for (let i = 0; i < 5; i++) await pool.query("UPDATE stats SET v = v || 'b'");
    const tables = await new MaintenanceRepository(pool).vacuumUpdatedTables();
    expect(tables).toContain("stats");
    expect(tables).not.toContain("lineage");
    expect(tables).not.toContain("lineage_1");
    const dead = await pool.query<{ n: string }>("SELECT n_dead_tup::text AS n FROM pg_stat_user_tables WHERE relname = 'stats'");
    expect(Number(dead.rows[0]?.n ?? 0)).toBe(0);
  }, 60_000);
});
