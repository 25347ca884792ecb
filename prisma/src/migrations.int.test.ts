import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "@millrace/testkit";
import { createDb, migrate } from "./index.js";

const prismaDir = join(dirname(fileURLToPath(import.meta.url)), "..");

async function shape(url: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const cols = await c.query(
      `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
       WHERE table_schema='public' AND table_name <> '_millrace_migrations' ORDER BY 1,2`,
    );
    const idx = await c.query(`SELECT indexdef FROM pg_indexes WHERE schemaname='public' AND tablename <> '_millrace_migrations' ORDER BY 1`);
    return { cols: cols.rows, idx: idx.rows.map((r) => r.indexdef) };
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
