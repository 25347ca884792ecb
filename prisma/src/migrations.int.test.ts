import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "@millrace/testkit";
import { createDb, migrate } from "./index.js";
import { listMigrations } from "./migrate.js";

const prismaDir = join(dirname(fileURLToPath(import.meta.url)), "..");

async function shape(url: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    // a partition repeats its parent's columns and indexes: compare the parents only
    const partitions = `SELECT relname FROM pg_class WHERE relispartition`;
    const cols = await c.query(
      `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
       WHERE table_schema='public' AND table_name <> '_millrace_migrations' AND table_name NOT IN (${partitions}) ORDER BY 1,2`,
    );
    const idx = await c.query(`SELECT indexdef FROM pg_indexes WHERE schemaname='public' AND tablename <> '_millrace_migrations' AND tablename NOT IN (${partitions}) ORDER BY 1`);
    // an index of a partitioned table reads "ON ONLY": the same index otherwise
    return { cols: cols.rows, idx: idx.rows.map((r) => String(r.indexdef).replace(" ON ONLY ", " ON ")) };
  } finally {
    await c.end();
  }
}

describe("SQL migrations", () => {
  const dbs: { drop(): Promise<void> }[] = [];
  afterAll(async () => Promise.all(dbs.map((d) => d.drop())));

  it("build exactly the tables schema.prisma describes", async () => {
    const fromMigrations = await createTestDatabase("mig");
    const fromSchema = await createTestDatabase("sch");
    dbs.push(fromMigrations, fromSchema);
    expect(await migrate(fromMigrations.url)).toContain("0001_init");
    const sql = execFileSync("pnpm", ["exec", "prisma", "migrate", "diff", "--from-empty", "--to-schema-datamodel", "schema.prisma", "--script"], {
      cwd: prismaDir,
      env: { ...process.env, DATABASE_URL: fromSchema.url },
      encoding: "utf8",
    });
    const c = new pg.Client({ connectionString: fromSchema.url });
    await c.connect();
    // what Prisma cannot declare: the function provenance_batch's partition default calls (0011)
    const partitionsMigration = listMigrations().find((m) => m.name === "0011_provenance_partitions")!.sql;
    // (its body names provenance_part, which Prisma's script creates next)
    await c.query("SET check_function_bodies = off");
    await c.query(/CREATE FUNCTION provenance_current_part\(\)[^;]*\$\$[^$]*\$\$;/.exec(partitionsMigration)![0]);
    await c.query(sql);
    await c.end();
    expect(await shape(fromMigrations.url)).toEqual(await shape(fromSchema.url));
  });

  it("apply once: a second run applies nothing", async () => {
    const db = await createTestDatabase("mig");
    dbs.push(db);
    expect((await migrate(db.url)).length).toBeGreaterThan(0);
    expect(await migrate(db.url)).toEqual([]);
    const prisma = createDb(db.url);
    const flow = await prisma.flow.create({ data: { id: "f1", name: "one" } });
    expect(flow.latestVersion).toBe(0);
    await prisma.$disconnect();
  });
});
