import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "@millrace/testkit";
import { runProcessor } from "../../test-support/harness.js";
import { implementations } from "../runtime.js";
import { queryReadOnly } from "../pg-util.js";
import { HEADER, type MRecord, type SourceProcessor } from "../sdk.js";

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase("proc");
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(`
    CREATE TABLE orders (id int PRIMARY KEY, amount numeric NOT NULL CHECK (amount >= 0), note text, payload jsonb);
    CREATE SCHEMA "we""ird";
    CREATE TABLE "we""ird"."Odd Table" ("select" int, "Mixed ""Col""" text);
    CREATE TABLE events (id bigserial PRIMARY KEY, kind text, at timestamptz NOT NULL DEFAULT now());
  `);
});
afterAll(async () => {
  await client?.end();
  await db?.drop();
});

const rec = (value: unknown, key?: string): MRecord => ({ key, value, headers: {} });
const sink = (config: object, records: MRecord[]) => runProcessor("postgres-sink", { connectionString: db.url, ...config }, records);

describe("postgres-sink", () => {
  it("inserts a batch in one statement, objects as JSON", async () => {
    const { ports } = await sink({ table: "orders", columns: { id: "value.id", amount: "value.amount", note: "key", payload: "value" } }, [rec({ id: 1, amount: 10 }, "a"), rec({ id: 2, amount: 20.5 }, "b")]);
    expect(ports.success).toHaveLength(2);
    const rows = (await client.query("SELECT id, amount::float AS amount, note, payload FROM orders ORDER BY id")).rows;
    expect(rows).toEqual([
      { id: 1, amount: 10, note: "a", payload: { id: 1, amount: 10 } },
      { id: 2, amount: 20.5, note: "b", payload: { id: 2, amount: 20.5 } },
    ]);
  });
  it("falls back to row by row: good rows written, bad ones to failure with the database error", async () => {
    const { ports } = await sink({ table: "orders", columns: { id: "value.id", amount: "value.amount" } }, [
      rec({ id: 3, amount: 1 }),
      rec({ id: 1, amount: 5 }), // duplicate key
      rec({ id: 4, amount: -1 }), // check constraint
      rec({ id: 5, amount: "abc" }), // bad type
      rec({ id: 6, amount: 2 }),
    ]);
    expect(ports.success.map((r) => (r.value as { id: number }).id)).toEqual([3, 6]);
    const reasons = ports.failure.map((r) => r.headers[HEADER.error]);
    expect(reasons[0]).toMatch(/duplicate key.*\[23505\]/);
    expect(reasons[1]).toMatch(/check constraint.*\[23514\]/);
    expect(reasons[2]).toMatch(/invalid input syntax.*\[22P02\]/);
    expect(reasons.join(" ")).not.toContain(db.url);
    expect((await client.query("SELECT count(*)::int AS n FROM orders")).rows[0].n).toBe(4);
  });
  it("upserts on keyColumns", async () => {
    const { ports } = await sink({ table: "orders", mode: "upsert", keyColumns: ["id"], columns: { id: "value.id", amount: "value.amount", note: '"upd"' } }, [rec({ id: 1, amount: 99 }), rec({ id: 7, amount: 7 })]);
    expect(ports.success).toHaveLength(2);
    const rows = (await client.query("SELECT id, amount::float AS amount, note FROM orders WHERE id IN (1, 7) ORDER BY id")).rows;
    expect(rows).toEqual([{ id: 1, amount: 99, note: "upd" }, { id: 7, amount: 7, note: "upd" }]);
  });
  it("quotes schema, table and column names safely", async () => {
    const { ports } = await sink({ table: 'we"ird.Odd Table', columns: { select: "value.n", 'Mixed "Col"': "value.s" } }, [rec({ n: 1, s: "x'); DROP TABLE orders; --" })]);
    expect(ports.success).toHaveLength(1);
    expect((await client.query(`SELECT * FROM "we""ird"."Odd Table"`)).rows).toEqual([{ select: 1, 'Mixed "Col"': "x'); DROP TABLE orders; --" }]);
  });
  it("expression errors and a missing table → failure per record", async () => {
    const a = await sink({ table: "orders", columns: { id: "$number(value)", amount: "1" } }, [rec("x")]);
    expect(a.ports.failure[0].headers[HEADER.error]).toMatch(/^column 'id': expression failed/);
    const b = await sink({ table: "nope", columns: { id: "1" } }, [rec(1), rec(2)]);
    expect(b.ports.failure.map((r) => r.headers[HEADER.error])).toEqual([expect.stringMatching(/relation "nope" does not exist/), expect.stringMatching(/relation "nope" does not exist/)]);
  });
  it("an unreachable database is thrown for the runner to retry, without the password", async () => {
    const p = await implementations["postgres-sink"].create(
      { connectionString: "postgres://u:pa55word@127.0.0.1:1/x", table: "t", columns: { a: "1" } },
      { flowId: "f", nodeId: "n", signal: new AbortController().signal, log: () => {} },
    );
    const err = await Promise.resolve((p as any).process([rec(1)], { emit() {} })).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/database unavailable/);
    expect(err.message).not.toMatch(/pa55word/);
    await (p as any).close();
  });
});

describe("postgres-poll", () => {
  const ctx = () => ({ flowId: "f", nodeId: "poll", signal: new AbortController().signal, log: () => {} });
  it("reads new rows by the incrementing column, resumes from its checkpoint", async () => {
    await client.query("INSERT INTO events (kind) SELECT 'k' || g FROM generate_series(1, 5) g");
    const config = { connectionString: db.url, query: "SELECT id, kind FROM events;", intervalMs: 100, incrementingColumn: "id" };
    const a = await runProcessor("postgres-poll", config, [], { pollMax: 3, maxRecords: 5 });
    expect(a.ports.success.map((r) => r.value)).toEqual([1, 2, 3, 4, 5].map((i) => ({ id: i, kind: `k${i}` })));
    expect(a.checkpoint).toBe("5");

    await client.query("INSERT INTO events (kind) VALUES ('k6'), ('k7')");
    const b = await runProcessor("postgres-poll", config, [], { checkpoint: a.checkpoint, maxRecords: 2 });
    expect(b.ports.success.map((r) => (r.value as { id: number }).id)).toEqual([6, 7]);
    expect(b.checkpoint).toBe("7");
  });
  it("polls again after intervalMs and sees new rows; JSON-native values", async () => {
    const p = (await implementations["postgres-poll"].create(
      { connectionString: db.url, query: "SELECT id, kind, at FROM events", intervalMs: 100, incrementingColumn: "id" },
      ctx(),
    )) as SourceProcessor;
    await p.open?.("7");
    expect((await p.poll(10)).records).toEqual([]);
    await client.query("INSERT INTO events (kind) VALUES ('k8')");
    let got: MRecord[] = [];
    for (let i = 0; i < 20 && got.length === 0; i++) got = (await p.poll(10)).records;
    expect(got).toHaveLength(1);
    expect(got[0].value).toMatchObject({ id: 8, kind: "k8", at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    await p.close?.();
  });
  it("without incrementingColumn, emits the whole result each interval", async () => {
    const r = await runProcessor("postgres-poll", { connectionString: db.url, query: "SELECT 1 AS one UNION ALL SELECT 2", intervalMs: 100 }, [], { maxRecords: 4, timeoutMs: 3000 });
    expect(r.ports.success.map((x) => x.value)).toEqual([{ one: 1 }, { one: 2 }, { one: 1 }, { one: 2 }]);
  });
  it("logs query errors without the connection string and keeps going", async () => {
    const url = db.url;
    const r = await runProcessor("postgres-poll", { connectionString: url, query: "SELECT * FROM missing_table", intervalMs: 100 }, [], { timeoutMs: 500 });
    expect(r.ports.success).toEqual([]);
    expect(r.logs[0].msg).toMatch(/missing_table.*does not exist/);
    expect(r.logs.map((l) => l.msg).join()).not.toContain(url);
  });
  it("runs exactly one statement: a second one, appended or injected, is refused and nothing is dropped", async () => {
    await client.query("CREATE TABLE victim (id int); INSERT INTO victim VALUES (1)");
    const refused = [
      ["SELECT 1; DROP TABLE victim", /syntax error at or near ";"/],
      ["SELECT 1 AS a) q; DROP TABLE victim; --", /cannot insert multiple commands into a prepared statement/],
    ] as const;
    for (const [query, reason] of refused) {
      const r = await runProcessor("postgres-poll", { connectionString: db.url, query, intervalMs: 100 }, [], { timeoutMs: 300 });
      expect(r.ports.success).toEqual([]);
      expect(r.logs[0].msg).toMatch(reason);
    }
    // the same text sent straight to the helper, unwrapped
    await expect(queryReadOnly(client, { text: "SELECT 1; DROP TABLE victim", values: [] }, 1000)).rejects.toThrow(/multiple commands/);
    await client.query("ROLLBACK");
    expect((await client.query("SELECT count(*)::int AS n FROM victim")).rows[0].n).toBe(1);
  });
  it("is read-only: a DELETE or UPDATE reached from the query fails and changes nothing", async () => {
    await client.query("CREATE FUNCTION wipe() RETURNS int LANGUAGE sql AS 'DELETE FROM victim; SELECT 1'");
    const r = await runProcessor("postgres-poll", { connectionString: db.url, query: "SELECT wipe() AS w", intervalMs: 100 }, [], { timeoutMs: 300 });
    expect(r.ports.success).toEqual([]);
    expect(r.logs[0].msg).toMatch(/cannot execute DELETE in a read-only transaction \[25006\]/);
    for (const text of ["DELETE FROM victim", "UPDATE victim SET id = 2", "WITH d AS (DELETE FROM victim RETURNING *) SELECT * FROM d"]) {
      await expect(queryReadOnly(client, { text, values: [] }, 1000)).rejects.toThrow(/read-only transaction/);
      await client.query("ROLLBACK");
    }
    expect((await client.query("SELECT id FROM victim")).rows).toEqual([{ id: 1 }]);
  });
  it("a query longer than statementTimeoutMs is cancelled, the timeout named", async () => {
    const started = Date.now();
    const r = await runProcessor("postgres-poll", { connectionString: db.url, query: "SELECT pg_sleep(5) AS slept", intervalMs: 10_000, statementTimeoutMs: 300 }, [], { timeoutMs: 1500 });
    expect(r.ports.success).toEqual([]);
    expect(r.logs[0].msg).toMatch(/statement timeout.*\[57014\] \(statementTimeoutMs 300 exceeded\)/);
    expect(Date.now() - started).toBeLessThan(4000);
  });
});
