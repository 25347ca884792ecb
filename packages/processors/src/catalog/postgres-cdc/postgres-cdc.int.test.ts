import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "@millrace/testkit";
import { implementations } from "../../runtime.js";
import type { MRecord, SourceProcessor } from "../../sdk.js";
import { MAX_TRANSACTION_PART } from "./impl.js";
import { lsnToNumber } from "./lsn.js";
import { slotNameFor } from "./setup.js";

// Needs a server with wal_level=logical (scripts/postgres starts it so).
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase("cdc");
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const level = (await client.query("SHOW wal_level")).rows[0].wal_level;
  if (level !== "logical") throw new Error(`these tests need a Postgres with wal_level=logical (TEST_DATABASE_URL has '${level}'): restart it with scripts/postgres`);
});
afterAll(async () => {
  // a database with replication slots cannot be dropped
  await client?.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database() AND NOT active").catch(() => {});
  await client?.end();
  await db?.drop();
});

interface Change {
  op: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  source: { table: string; lsn: string; txId: number | null; commitTime: string };
}

const logs: string[] = [];
// slots are named per server, not per database: a flow id of its own keeps runs apart
const flowId = `cdc-${Math.random().toString(36).slice(2, 8)}`;
async function source(nodeId: string, config: object, checkpoint?: unknown): Promise<SourceProcessor> {
  const p = (await implementations["postgres-cdc"].create(
    { url: db.url, ...config },
    { flowId, nodeId, signal: new AbortController().signal, log: (level, msg) => logs.push(`${level}: ${msg}`) },
  )) as SourceProcessor;
  await p.open?.(checkpoint);
  return p;
}

/** Polls (acknowledging like the runner) until `until` holds of what was read or the time is up. */
async function read(p: SourceProcessor, until: (got: MRecord[]) => boolean, opts: { max?: number; timeoutMs?: number; ack?: boolean; batches?: MRecord[][] } = {}) {
  const got: MRecord[] = [];
  let checkpoint: unknown;
  const end = Date.now() + (opts.timeoutMs ?? 20_000);
  while (!until(got) && Date.now() < end) {
    const r = await p.poll(opts.max ?? 1000);
    got.push(...r.records);
    if (r.records.length) opts.batches?.push(r.records);
    if (r.checkpoint !== undefined) {
      checkpoint = r.checkpoint;
      if (opts.ack !== false) p.acknowledged?.(r.checkpoint);
    }
  }
  return { got, checkpoint, values: got.map((r) => r.value as Change) };
}

describe("postgres-cdc", () => {
  it("snapshot first (op r), then inserts, updates with before images, deletes; key = primary key", async () => {
    await client.query(`CREATE TABLE public.orders (id int PRIMARY KEY, status text, amount numeric(20,6)); ALTER TABLE public.orders REPLICA IDENTITY FULL;
      INSERT INTO public.orders VALUES (1, 'new', 10.5), (2, 'new', 20)`);
    const p = await source("orders", { tables: ["public.orders"] });
    const snap = await read(p, (g) => g.length >= 2);
    expect(snap.values.map((v) => [v.op, v.after])).toEqual([
      ["r", { id: 1, status: "new", amount: "10.500000" }],
      ["r", { id: 2, status: "new", amount: "20.000000" }],
    ]);
    expect(snap.got.map((r) => r.key)).toEqual(['{"id":1}', '{"id":2}']);

    await client.query("INSERT INTO public.orders VALUES (3, 'new', 1)");
    await client.query("UPDATE public.orders SET status = 'paid' WHERE id = 1");
    await client.query("DELETE FROM public.orders WHERE id = 2");
    const { got, values } = await read(p, (g) => g.length >= 3);
    expect(values.map((v) => [v.op, v.before, v.after])).toEqual([
      ["c", null, { id: 3, status: "new", amount: "1.000000" }],
      ["u", { id: 1, status: "new", amount: "10.500000" }, { id: 1, status: "paid", amount: "10.500000" }],
      ["d", { id: 2, status: "new", amount: "20.000000" }, null],
    ]);
    expect(got.map((r) => r.key)).toEqual(['{"id":3}', '{"id":1}', '{"id":2}']);
    expect(values[0].source).toMatchObject({ table: "public.orders", lsn: expect.stringMatching(/^[0-9A-F]+\/[0-9A-F]+$/), txId: expect.any(Number) });
    expect(values[0].source.commitTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    // the commit just made (same clock): not a time shifted by Postgres' 2000-01-01 epoch
    expect(Math.abs(Date.parse(values[0].source.commitTime) - Date.now())).toBeLessThan(10 * 60_000);
    await p.close?.();
  });

  it("a transaction larger than a part goes out in parts of at most MAX_TRANSACTION_PART (memory stays bounded); its checkpoint moves only at its commit", async () => {
    await client.query("CREATE TABLE public.huge (id int PRIMARY KEY)");
    const p = await source("huge", { tables: ["public.huge"], snapshot: "never" });
    const before = (await read(p, () => false, { timeoutMs: 500 })).checkpoint;
    const n = 2 * MAX_TRANSACTION_PART + 5;
    await client.query(`INSERT INTO public.huge SELECT g FROM generate_series(1, ${n}) g`);
    const batches: MRecord[][] = [];
    const checkpoints: unknown[] = [];
    const got: MRecord[] = [];
    const end = Date.now() + 30_000;
    while (got.length < n && Date.now() < end) {
      const r = await p.poll(MAX_TRANSACTION_PART);
      if (r.records.length) {
        batches.push(r.records);
        checkpoints.push(r.checkpoint);
      }
      got.push(...r.records);
      if (r.checkpoint !== undefined) p.acknowledged?.(r.checkpoint);
    }
    expect(got.map((r) => (r.value as Change).after!.id)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(MAX_TRANSACTION_PART);
    expect(new Set(got.map((r) => (r.value as Change).source.txId)).size).toBe(1);
    // the parts before the commit move no checkpoint; the last one carries its commit
    expect(checkpoints.slice(0, -1)).toEqual(checkpoints.slice(0, -1).map(() => undefined));
    expect(checkpoints.at(-1)).toBeGreaterThan((before as number | undefined) ?? 0);
    await p.close?.();
  });

  it("maps types faithfully: numeric, bigint, timestamptz, json/jsonb, arrays, bytea, enums", async () => {
    await client.query(`CREATE TYPE mood AS ENUM ('sad', 'happy');
      CREATE TABLE public.typed (id bigint PRIMARY KEY, n numeric, big bigint, ts timestamptz, t timestamp, j json, jb jsonb, ints int[], texts text[], moods mood[], b bytea, m mood, f float8, ok boolean, u uuid)`);
    const row = `(1, 12345678901234567890.123456789, 9007199254740993, '2026-01-02 03:04:05.123456+02', '2026-01-02 03:04:05.5', '{"a":[1,2]}', '{"b":{"c":null}}',
      '{1,NULL,3}', '{"x y","q\\"z",NULL}', '{happy,sad}', '\\xdeadbeef', 'happy', 1.5, true, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')`;
    await client.query(`INSERT INTO public.typed VALUES ${row}`);
    const p = await source("typed", { tables: ["public.typed"] });
    const snap = await read(p, (g) => g.length >= 1);
    await client.query(`INSERT INTO public.typed VALUES ${row.replace("(1,", "(2,")}`);
    const streamed = await read(p, (g) => g.length >= 1);
    const expected = {
      n: "12345678901234567890.123456789",
      big: "9007199254740993",
      ts: "2026-01-02T01:04:05.123456Z",
      t: "2026-01-02T03:04:05.5",
      j: { a: [1, 2] },
      jb: { b: { c: null } },
      ints: [1, null, 3],
      texts: ["x y", 'q"z', null],
      moods: ["happy", "sad"],
      b: Buffer.from("deadbeef", "hex").toString("base64"),
      m: "happy",
      f: 1.5,
      ok: true,
      u: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    };
    // the snapshot's rows and the stream's are the same values
    expect(snap.values[0].after).toEqual({ id: 1, ...expected });
    expect(streamed.values[0].after).toEqual({ id: 2, ...expected });
    await p.close?.();

    // a column's mapping set by the config, in the snapshot and the stream alike
    const q = await source("typed-override", { tables: ["public.typed"], columnTypes: { "public.typed.n": "number", "public.typed.ts": "text", "public.typed.j": "text" } });
    const overridden = { n: Number("12345678901234567890.123456789"), ts: "2026-01-02 01:04:05.123456+00", j: '{"a":[1,2]}' };
    const snap2 = await read(q, (g) => g.length >= 2);
    expect(snap2.values.map((v) => v.after)).toEqual([1, 2].map((id) => ({ id, ...expected, ...overridden })));
    await client.query(`INSERT INTO public.typed VALUES ${row.replace("(1,", "(3,")}`);
    const streamed2 = await read(q, (g) => g.length >= 1);
    expect(streamed2.values[0].after).toEqual({ id: 3, ...expected, ...overridden });
    await q.close?.();
  });

  it("a transaction of 10,000 changes comes in one batch with one txId; a restart resumes after the acknowledged checkpoint", async () => {
    await client.query("CREATE TABLE public.bulk (id int PRIMARY KEY, v int)");
    const p = await source("bulk", { tables: ["public.bulk"], snapshot: "never" });
    await read(p, () => false, { timeoutMs: 500 }); // the slot exists from here on
    await client.query("INSERT INTO public.bulk SELECT g, g FROM generate_series(1, 10000) g");
    await client.query("INSERT INTO public.bulk VALUES (10001, 0)");
    const batches: MRecord[][] = [];
    const first = await read(p, (g) => g.length >= 10_001, { batches, max: 1000 });
    expect(batches[0]).toHaveLength(10_000);
    expect(new Set(batches[0].map((r) => (r.value as Change).source.txId)).size).toBe(1);
    expect(first.values.map((v) => v.after!.id)).toEqual(Array.from({ length: 10_001 }, (_, i) => i + 1));
    // the acknowledged position reaches the server while the stream runs (not only when it closes), so the WAL before it is freed
    const confirmed = async () => lsnToNumber((await client.query<{ c: string }>("SELECT confirmed_flush_lsn::text AS c FROM pg_replication_slots WHERE slot_name = $1", [slotNameFor(flowId, "bulk")])).rows[0].c);
    await expect.poll(confirmed, { timeout: 5000 }).toBeGreaterThanOrEqual(first.checkpoint as number);
    await p.close?.();

    // written while no engine reads: kept by the slot, read after the restart, nothing before repeated
    await client.query("UPDATE public.bulk SET v = -1 WHERE id = 5");
    const again = await source("bulk", { tables: ["public.bulk"], snapshot: "never" }, first.checkpoint);
    const second = await read(again, (g) => g.length >= 1, { timeoutMs: 10_000, ack: false });
    expect(second.values.map((v) => [v.op, v.after])).toEqual([["u", { id: 5, v: -1 }]]);
    await again.close?.();
    // written and checkpointed but the slot not yet confirmed (a kill -9 right after an exactly-once
    // commit): the server sends it again, the checkpoint skips it
    const committed = await source("bulk", { tables: ["public.bulk"], snapshot: "never" }, second.checkpoint);
    expect((await read(committed, () => false, { timeoutMs: 1500, ack: false })).got).toEqual([]);
    await committed.close?.();
    // not acknowledged: a restart from the same checkpoint reads it again (at-least-once); acknowledged: never again
    const third = await source("bulk", { tables: ["public.bulk"], snapshot: "never" }, first.checkpoint);
    const replayed = await read(third, (g) => g.length >= 1, { timeoutMs: 10_000 });
    expect(replayed.values.map((v) => v.op)).toEqual(["u"]);
    await third.close?.();
    const fourth = await source("bulk", { tables: ["public.bulk"], snapshot: "never" }, replayed.checkpoint);
    const none = await read(fourth, () => false, { timeoutMs: 1500 });
    expect(none.got).toEqual([]);
    await fourth.close?.();
  });

  it("stops reading while too much waits to be polled, and goes on without losing a change", async () => {
    await client.query("CREATE TABLE public.flood (id int PRIMARY KEY)");
    const p = await source("flood", { tables: ["public.flood"], snapshot: "never" });
    await read(p, () => false, { timeoutMs: 500 });
    // far more than the source buffers before it stops reading: the rest waits in the slot
    for (let i = 0; i < 30; i++) await client.query("INSERT INTO public.flood SELECT g FROM generate_series($1::int, $1::int + 2999) g", [i * 3000]);
    await new Promise((r) => setTimeout(r, 1000));
    const { values } = await read(p, (g) => g.length >= 90_000, { max: 5000, timeoutMs: 60_000 });
    expect(values.map((v) => v.after!.id)).toEqual(Array.from({ length: 90_000 }, (_, i) => i));
    await p.close?.();
  });

  it("hands over from the snapshot to the stream under concurrent writes without a gap or a duplicate", async () => {
    await client.query("CREATE TABLE public.busy (id int PRIMARY KEY, v text); INSERT INTO public.busy SELECT g, 'x' FROM generate_series(1, 20000) g");
    const writer = new pg.Client({ connectionString: db.url });
    await writer.connect();
    let next = 20_001;
    let writing = true;
    const writes = (async () => {
      while (writing) {
        await writer.query("INSERT INTO public.busy SELECT g, 'y' FROM generate_series($1::int, $1::int + 49) g", [next]);
        next += 50;
      }
    })();
    const p = await source("busy", { tables: ["public.busy"], snapshotChunkRows: 1000 });
    const seen = new Map<number, string[]>();
    const note = (values: Change[]) => {
      for (const v of values) seen.set(v.after!.id as number, [...(seen.get(v.after!.id as number) ?? []), v.op]);
    };
    const first = await read(p, (g) => g.length >= 25_000, { timeoutMs: 60_000 });
    note(first.values);
    writing = false;
    await writes;
    await writer.end();
    const total = next - 1;
    const rest = await read(p, (g) => first.got.length + g.length >= total, { timeoutMs: 60_000 });
    note(rest.values);
    expect(total).toBeGreaterThan(20_000);
    // every row exactly once: as a snapshot row or as an insert, the snapshot's rows first
    expect(seen.size).toBe(total);
    expect([...seen].filter(([, ops]) => ops.length !== 1)).toEqual([]);
    const ops = [...first.values, ...rest.values].map((v) => v.op);
    expect(ops.lastIndexOf("r")).toBeLessThan(ops.indexOf("c"));
    expect(ops.filter((o) => o === "r").length).toBeGreaterThanOrEqual(20_000);
    await p.close?.();
  });

  it("writes Debezium's envelope when asked; a missing table is logged by name and retried", async () => {
    const p = await source("debezium", { tables: ["public.orders"], envelope: "debezium" });
    const { got } = await read(p, (g) => g.length >= 2);
    const one = got.find((r) => r.key === '{"id":1}')!;
    expect(one.value).toMatchObject({
      op: "r",
      before: null,
      after: { id: 1, status: "paid" },
      source: { connector: "postgresql", snapshot: "true", db: db.name, schema: "public", table: "orders", lsn: expect.any(Number) },
      ts_ms: expect.any(Number),
    });
    // the first test's slot, closed without being dropped, is reported as read by nobody
    expect(logs.join("\n")).toMatch(new RegExp(`no engine reads: .*${slotNameFor(flowId, "orders")} \\(holding [0-9]+ [a-zA-Z]+ of WAL\\)`));
    await p.close?.();
    const missing = await source("missing", { tables: ["public.nope"] });
    await read(missing, () => false, { timeoutMs: 500 });
    expect(logs.join("\n")).toMatch(/postgres-cdc missing: setting up .* failed \(postgres-cdc: table public\.nope does not exist/);
    await missing.close?.();
  });

  it("follows added and dropped columns without a restart; a table without a primary key is keyed by the columns chosen", async () => {
    await client.query("CREATE TABLE public.evolving (id int PRIMARY KEY, a text); CREATE TABLE public.nokey (event_id text, n int)");
    const refused = await source("nokey-refused", { tables: ["public.nokey"] });
    await read(refused, () => false, { timeoutMs: 300 });
    expect(logs.join("\n")).toMatch(/table public\.nokey has no primary key: publishing it would make its UPDATEs and DELETEs fail.*REPLICA IDENTITY FULL/);
    await refused.close?.();
    await client.query("ALTER TABLE public.nokey REPLICA IDENTITY FULL");

    const p = await source("evolving", { tables: ["public.evolving", "public.nokey"], snapshot: "never", keys: { "public.nokey": ["event_id"] } });
    await read(p, () => false, { timeoutMs: 500 });
    await client.query("INSERT INTO public.evolving VALUES (1, 'x')");
    await client.query("ALTER TABLE public.evolving ADD COLUMN b jsonb");
    await client.query(`INSERT INTO public.evolving VALUES (2, 'y', '{"z":1}')`);
    await client.query("ALTER TABLE public.evolving DROP COLUMN a");
    await client.query("UPDATE public.evolving SET b = '[1]' WHERE id = 1");
    await client.query("INSERT INTO public.nokey VALUES ('e-1', 5); UPDATE public.nokey SET n = 6");
    const { got, values } = await read(p, (g) => g.length >= 5);
    expect(values.map((v) => [v.op, v.after])).toEqual([
      ["c", { id: 1, a: "x" }],
      ["c", { id: 2, a: "y", b: { z: 1 } }],
      ["u", { id: 1, b: [1] }],
      ["c", { event_id: "e-1", n: 5 }],
      ["u", { event_id: "e-1", n: 6 }],
    ]);
    expect(got.slice(3).map((r) => r.key)).toEqual(['{"event_id":"e-1"}', '{"event_id":"e-1"}']);
    expect(values[4].before).toEqual({ event_id: "e-1", n: 5 });
    // stopped for good: the slot and the publication made for it go
    const slot = slotNameFor(flowId, "evolving");
    const owned = async () => (await client.query("SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1) + (SELECT count(*) FROM pg_publication WHERE pubname = $1) AS n", [slot])).rows[0].n;
    expect(Number(await owned())).toBe(2);
    await p.close?.({ forGood: true });
    expect(Number(await owned())).toBe(0);
  });

  it("names its slot after the flow and node, safely", () => {
    expect(slotNameFor("Flow-1", "Node ä;DROP")).toMatch(/^mr_flow_1_node_drop_[0-9a-f]{12}$/);
    expect(slotNameFor("a".repeat(100), "b".repeat(100)).length).toBeLessThanOrEqual(63);
  });
});
