import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "@millrace/testkit";
import { implementations } from "../../runtime.js";
import { HEADER, type MRecord, type SourceProcessor } from "../../sdk.js";

// Needs a server with wal_level=logical (scripts/postgres starts it so).
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let client: pg.Client;
const flowId = `outbox-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  db = await createTestDatabase("outbox");
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(`CREATE TABLE public.orders (id int PRIMARY KEY, status text);
    CREATE TABLE public.outbox (id bigserial PRIMARY KEY, topic text, aggregate_id text, type text, payload jsonb, headers jsonb)`);
});
afterAll(async () => {
  await client?.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database() AND NOT active").catch(() => {});
  await client?.end();
  await db?.drop();
});

async function source(nodeId: string, config: object): Promise<SourceProcessor> {
  const p = (await implementations["postgres-cdc"].create({ url: db.url, ...config }, { flowId, nodeId, signal: new AbortController().signal, log: () => {} })) as SourceProcessor;
  await p.open?.(undefined);
  return p;
}

async function read(p: SourceProcessor, until: (got: MRecord[], failures: MRecord[]) => boolean, timeoutMs = 15_000) {
  const got: MRecord[] = [];
  const failures: MRecord[] = [];
  const end = Date.now() + timeoutMs;
  while (!until(got, failures) && Date.now() < end) {
    const r = await p.poll(1000);
    got.push(...r.records);
    failures.push(...(r.failures ?? []));
    if (r.checkpoint !== undefined) p.acknowledged?.(r.checkpoint);
  }
  return { got, failures };
}

describe("postgres-cdc outbox mode", () => {
  it("emits each inserted outbox row once as its event; existing rows, updates, deletes and rolled-back inserts emit nothing", async () => {
    await client.query(`INSERT INTO public.outbox (topic, aggregate_id, type, payload) VALUES ('orders', 'old', 'Old', '{}')`);
    const p = await source("box", { outbox: {} });
    // the slot exists once the first poll set it up: writes from here on are captured
    await read(p, () => false, 1000);
    await client.query("BEGIN");
    await client.query("INSERT INTO public.orders VALUES (1, 'new')");
    await client.query(`INSERT INTO public.outbox (topic, aggregate_id, type, payload, headers) VALUES
      ('orders.created', 'order-1', 'OrderCreated', '{"id": 1, "total": "9.90"}', '{"traceparent": "00-t1"}'),
      ('billing.requests', 'order-1', 'InvoiceRequested', '{"order": 1}', null)`);
    await client.query("COMMIT");
    await client.query("DELETE FROM public.outbox");
    await client.query("BEGIN");
    await client.query(`INSERT INTO public.outbox (topic, aggregate_id, type, payload) VALUES ('orders.created', 'order-2', 'OrderCreated', '{}')`);
    await client.query("ROLLBACK");
    await client.query(`INSERT INTO public.outbox (topic, aggregate_id, type, payload) VALUES (NULL, 'order-3', 'Broken', '{}'), ('orders.created', 'order-4', 'OrderCreated', '"done"')`);

    const { got, failures } = await read(p, (g, f) => g.length >= 3 && f.length >= 1);
    await read(p, () => false, 1000); // nothing else arrives
    expect(got.map((r) => [r.key, r.value, r.headers["mr.outbox.topic"], r.headers["mr.outbox.type"]])).toEqual([
      ["order-1", { id: 1, total: "9.90" }, "orders.created", "OrderCreated"],
      ["order-1", { order: 1 }, "billing.requests", "InvoiceRequested"],
      ["order-4", "done", "orders.created", "OrderCreated"],
    ]);
    expect(got[0]!.headers).toMatchObject({ traceparent: "00-t1", "mr.outbox.id": expect.stringMatching(/^\d+$/) });
    expect(failures).toHaveLength(1);
    expect(failures[0]!.headers[HEADER.error]).toMatch(/^outbox row \d+ of public\.outbox: column topic is empty/);
    await p.close?.({ forGood: true });
  });

  it("snapshot initial emits the outbox rows already there; a missing column refuses setup with its name", async () => {
    await client.query(`CREATE TABLE public.events (event_id uuid PRIMARY KEY DEFAULT gen_random_uuid(), destination text, aggregate text, body text);
      INSERT INTO public.events (destination, aggregate, body) VALUES ('audit', 'a1', 'hello')`);
    const logs: string[] = [];
    const wrong = (await implementations["postgres-cdc"].create(
      { url: db.url, outbox: { table: "public.events", idColumn: "event_id" } },
      { flowId, nodeId: "wrong", signal: new AbortController().signal, log: (level, msg) => logs.push(`${level}: ${msg}`) },
    )) as SourceProcessor;
    await wrong.poll(10);
    expect(logs.join("\n")).toMatch(/the outbox table public\.events has no column topic \(outbox\.topicColumn\)/);
    await wrong.close?.({ forGood: true });

    const p = await source("events", { outbox: { table: "public.events", idColumn: "event_id", topicColumn: "destination", keyColumn: "aggregate", payloadColumn: "body" }, snapshot: "initial" });
    const { got } = await read(p, (g) => g.length >= 1);
    expect(got.map((r) => [r.key, r.value, r.headers["mr.outbox.topic"]])).toEqual([["a1", "hello", "audit"]]);
    await p.close?.({ forGood: true });
  });
});
