// The outbox pattern on a real engine, broker and Postgres (wal_level=logical): a service writes its
// state and its events in one transaction; postgres-cdc (outbox) → kafka-sink (topicExpression +
// topics) puts each event once on the topic its row names, with its key and headers; a rolled-back
// transaction and the service's deletes emit nothing; a topic outside the sink's list goes to failure.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { slotNameFor } from "@millrace/processors/catalog/postgres-cdc/setup";
import { createTestDatabase, freePort, testBrokers, waitFor } from "@millrace/testkit";
import { flowDoc, readTopic, spawnEngine, uid, type EngineProcess } from "../../test-support/index.js";
import { runCli, runCliOk } from "../../test-support/cli-runner.js";
import { dropReplicationSlots } from "../../test-support/replication-slots.js";

describe("the outbox pattern on an engine", () => {
  const brokers = testBrokers();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let service: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: pg.Client;
  let engine: EngineProcess | undefined;

  beforeAll(async () => {
    [db, service] = await Promise.all([createTestDatabase("outboxengine"), createTestDatabase("outboxservice")]);
    client = new pg.Client({ connectionString: service.url });
    await client.connect();
    engine = await spawnEngine({ port: await freePort(), databaseUrl: db.url, brokers });
  }, 120_000);

  afterAll(async () => {
    await engine?.stop();
    if (client) {
      await dropReplicationSlots(client);
      await client.end();
    }
    await service?.drop();
    await db?.drop();
  }, 60_000);

  it("each outbox row becomes one record on the topic it names, exactly once; rollbacks and deletes emit nothing; an unlisted topic goes to failure", async () => {
    await client.query(`CREATE TABLE public.orders (id int PRIMARY KEY, total numeric(10,2) NOT NULL);
      CREATE TABLE public.outbox (id bigserial PRIMARY KEY, topic text NOT NULL, aggregate_id text NOT NULL, type text NOT NULL, payload jsonb NOT NULL, headers jsonb)`);
    const id = uid("outbox");
    const created = uid("orders-created");
    const billing = uid("billing-requests");
    const fallback = uid("events");
    const failures = uid("outbox-failures");
    await engine!.api.flows.save.mutate({
      document: flowDoc(
        id,
        [
          ["cdc", "postgres-cdc", { url: service.url, outbox: {} }],
          ["out", "kafka-sink", { topic: fallback, topics: [created, billing], topicExpression: 'headers."mr.outbox.topic"' }],
          ["failed", "kafka-sink", { topic: failures }],
        ],
        [
          ["cdc", "success", "out"],
          ["out", "failure", "failed"],
        ],
      ),
    });
    await engine!.api.deployments.deploy.mutate({ flowId: id, exactlyOnce: true });
    // the slot is made when the source starts: wait for it before the service writes
    await waitFor(async () => ((await client.query("SELECT 1 FROM pg_replication_slots WHERE database = current_database() AND active")).rowCount ? true : undefined), 60_000, "the outbox slot read");

    // the service: its state and its events in one transaction
    await client.query("BEGIN");
    await client.query("INSERT INTO public.orders VALUES (1, 9.90)");
    await client.query(
      `INSERT INTO public.outbox (topic, aggregate_id, type, payload, headers) VALUES
        ($1, 'order-1', 'OrderCreated', '{"id": 1, "total": "9.90"}', '{"traceparent": "00-abc-01"}'),
        ($2, 'order-1', 'InvoiceRequested', '{"order": 1, "amount": "9.90"}', NULL)`,
      [created, billing],
    );
    await client.query("COMMIT");
    // Debezium's advice: delete the outbox rows right away (not emitted)
    await client.query("DELETE FROM public.outbox");
    await client.query("BEGIN");
    await client.query("INSERT INTO public.orders VALUES (2, 1.00)");
    await client.query(`INSERT INTO public.outbox (topic, aggregate_id, type, payload) VALUES ($1, 'order-2', 'OrderCreated', '{"id": 2}')`, [created]);
    await client.query("ROLLBACK");
    await client.query(`INSERT INTO public.outbox (topic, aggregate_id, type, payload) VALUES ('payroll', 'order-3', 'Sneaky', '{"id": 3}')`);
    await client.query(`INSERT INTO public.outbox (topic, aggregate_id, type, payload) VALUES ($1, 'order-4', 'OrderCreated', '{"id": 4}')`, [created]);

    const onCreated = await readTopic(brokers, created, (r) => r.length >= 2, { timeoutMs: 60_000, settleMs: 2000 });
    const onBilling = await readTopic(brokers, billing, (r) => r.length >= 1, { timeoutMs: 30_000, settleMs: 0 });
    const failed = await readTopic(brokers, failures, (r) => r.length >= 1, { timeoutMs: 30_000, settleMs: 0 });
    // keys of other partitions: in key order
    onCreated.sort((x, y) => x.key!.localeCompare(y.key!));
    expect(onCreated.map((r) => [r.key, r.value, r.headers["mr.outbox.type"]])).toEqual([
      ["order-1", { id: 1, total: "9.90" }, "OrderCreated"],
      ["order-4", { id: 4 }, "OrderCreated"],
    ]);
    expect(onCreated[0]!.headers).toMatchObject({ traceparent: "00-abc-01", "mr.outbox.id": expect.stringMatching(/^\d+$/), "mr.outbox.topic": created });
    expect(onCreated[0]!.headers["mr.topic"]).toBeUndefined();
    expect(onBilling.map((r) => [r.key, r.value, r.headers["mr.outbox.type"]])).toEqual([["order-1", { order: 1, amount: "9.90" }, "InvoiceRequested"]]);
    expect(failed.map((r) => [r.key, r.headers["mr.error"]])).toEqual([["order-3", `topic: "payroll" is not a topic this sink may write (${fallback}, ${created}, ${billing}): add it to topics`]]);
    // nothing went to the sink's own topic, and nothing was written twice
    const all = await readTopic(brokers, fallback, () => true, { settleMs: 1000 });
    expect(all).toEqual([]);

    await engine!.api.deployments.stop.mutate({ flowId: id });
    await waitFor(async () => ((await client.query("SELECT 1 FROM pg_replication_slots WHERE database = current_database()")).rowCount === 0 ? true : undefined), 30_000, "the flow's slot dropped");
  }, 240_000);

  it("cdc slots lists the mr_ slots with their flow node and the WAL they keep, a slot left behind marked orphaned (API and CLI)", async () => {
    await client.query("CREATE TABLE IF NOT EXISTS public.events (id bigserial PRIMARY KEY, topic text, aggregate_id text, payload jsonb)");
    const id = uid("slots");
    const leftBehind = slotNameFor(uid("deleted-flow"), "cdc");
    await client.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [leftBehind]);
    await engine!.api.flows.save.mutate({
      document: flowDoc(id, [["cdc", "postgres-cdc", { url: service.url, outbox: { table: "public.events" } }], ["out", "kafka-sink", { topic: uid("events") }]], [["cdc", "success", "out"]]),
    });
    await engine!.api.deployments.deploy.mutate({ flowId: id });
    const own = slotNameFor(id, "cdc");
    // the server's WAL moves on: the slot left behind keeps it
    await client.query("INSERT INTO public.events (topic, aggregate_id, payload) SELECT 'x', 'k', '{}' FROM generate_series(1, 1000)");
    const mine = <S extends { slot: string }>(slots: S[]) => slots.filter((s) => s.slot === own || s.slot === leftBehind).sort((a, b) => (a.slot === own ? -1 : b.slot === own ? 1 : 0));
    const expected = [
      { slot: own, flowId: id, nodeId: "cdc", flowExists: true, deployed: true, active: true, orphaned: false },
      { slot: leftBehind, flowId: null, nodeId: null, flowExists: false, deployed: false, active: false, orphaned: true },
    ];
    await waitFor(async () => (mine(await engine!.api.cdc.slots.query({})).find((s) => s.slot === own && s.active) ? true : undefined), 60_000, "the flow's slot read");
    // the engine's database is on the same server here: its slots are the server's
    const onEngineDb = mine(await engine!.api.cdc.slots.query({}));
    expect(onEngineDb).toMatchObject(expected);
    expect(onEngineDb[1]!.retainedBytes).toBeGreaterThan(0);

    const connection = uid("service-db");
    await engine!.api.connections.add.mutate({ document: { name: connection, type: "postgres", url: service.url } });
    expect(mine(await engine!.api.cdc.slots.query({ connection }))).toMatchObject(expected);

    const target = { url: engine!.url, token: engine!.token };
    const cli = await runCliOk(["cdc", "slots", "--connection", connection, "--json"], target);
    expect(mine(JSON.parse(cli.stdout) as { slot: string }[])).toMatchObject(expected);
    const text = await runCliOk(["cdc", "slots", "--connection", connection], target);
    expect(text.stdout).toMatch(new RegExp(`^${leftBehind}\\s+\\S+\\s+\\(gone\\)\\s+-\\s+no\\s+no\\s+[\\d.]+ \\w+\\s+ORPHANED\\s*$`, "m"));
    expect(text.stdout).toMatch(new RegExp(`^${own}\\s+\\S+\\s+${id}\\s+cdc\\s+yes\\s+yes\\s+.+\\s+ok\\s*$`, "m"));
    expect(text.stdout).toContain("orphaned slot(s) keep WAL on the database's disk");
    expect((await runCli(["cdc", "slots", "--connection", "no-such-connection"], target)).code).not.toBe(0);

    // stopped: the flow's slot is dropped; the left-behind one stays orphaned until someone drops it
    await engine!.api.deployments.stop.mutate({ flowId: id });
    await waitFor(async () => (mine(await engine!.api.cdc.slots.query({ connection })).length === 1 ? true : undefined), 30_000, "the flow's slot dropped");
    await client.query("SELECT pg_drop_replication_slot($1)", [leftBehind]);
  }, 240_000);
});
