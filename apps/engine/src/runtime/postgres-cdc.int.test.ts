// postgres-cdc on a real engine, broker and Postgres (wal_level=logical): a table's snapshot and
// then its changes into a Kafka topic, through a kill -9 in exactly-once mode, each change exactly
// once and in commit order per key; the flow stopped for good drops its slot.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import kafkajs from "kafkajs";
import { createTestDatabase, freePort, testBrokers, waitFor } from "@millrace/testkit";
import { flowDoc, readTopic, spawnEngine, uid, type EngineProcess, type ReadRecord } from "../../test-support/index.js";

const { Kafka, logLevel } = kafkajs;
const ACCOUNTS = 10;
const TRANSACTIONS = 3_000;

describe("postgres-cdc on an engine", () => {
  const brokers = testBrokers();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let source: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: pg.Client;
  let engine: EngineProcess | undefined;
  let port: number;

  beforeAll(async () => {
    db = await createTestDatabase("cdcengine");
    source = await createTestDatabase("cdcsource");
    client = new pg.Client({ connectionString: source.url });
    await client.connect();
    port = await freePort();
    engine = await spawnEngine({ port, databaseUrl: db.url, brokers });
  }, 120_000);

  afterAll(async () => {
    await engine?.stop();
    // a database with replication slots cannot be dropped
    await client?.query("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = current_database() AND active").catch(() => {});
    await new Promise((r) => setTimeout(r, 500));
    await client?.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database()").catch(() => {});
    await client?.end();
    await source?.drop();
    await db?.drop();
  }, 60_000);

  it("captures every change exactly once, in commit order per key, through a kill -9 (exactly-once)", async () => {
    await client.query(`CREATE TABLE public.accounts (id int PRIMARY KEY, v int NOT NULL); ALTER TABLE public.accounts REPLICA IDENTITY FULL;
      INSERT INTO public.accounts SELECT g, 0 FROM generate_series(1, ${ACCOUNTS}) g`);
    const id = uid("cdc");
    const out = uid("accounts");
    const kafka = new Kafka({ clientId: "cdc-test", brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: out, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    await engine!.api.flows.save.mutate({
      document: flowDoc(id, [["cdc", "postgres-cdc", { url: source.url, tables: ["public.accounts"] }], ["out", "kafka-sink", { topic: out }]], [["cdc", "success", "out"]]),
    });
    await engine!.api.deployments.deploy.mutate({ flowId: id, exactlyOnce: true });
    // the snapshot's rows are in the topic before any change is written
    await readTopic(brokers, out, (r) => r.length >= ACCOUNTS, { timeoutMs: 60_000, settleMs: 0 });

    // one account's balance + 1 per transaction; every 50th transaction touches all accounts at once
    let written = 0;
    const writes = (async () => {
      for (let i = 0; i < TRANSACTIONS; i++) {
        if (i % 50 === 0) await client.query("UPDATE public.accounts SET v = v + 1");
        else await client.query("UPDATE public.accounts SET v = v + 1 WHERE id = $1", [(i % ACCOUNTS) + 1]);
        written++;
      }
    })();
    await waitFor(async () => (written >= TRANSACTIONS / 3 ? true : undefined), 60_000, "a third of the transactions written");
    await engine!.kill9();
    engine = await spawnEngine({ port, databaseUrl: db.url, brokers });
    await writes;

    const finals = (await client.query<{ id: number; v: number }>("SELECT id, v FROM public.accounts ORDER BY id")).rows;
    const changes = finals.reduce((n, r) => n + r.v, 0);
    const records = await readTopic(brokers, out, (r) => r.length >= ACCOUNTS + changes, { timeoutMs: 120_000, settleMs: 3000 });
    expect(records).toHaveLength(ACCOUNTS + changes);
    // per key (one partition each): the snapshot's 0, then 1, 2, … up to the final balance, each once
    const byKey = new Map<string, ReadRecord[]>();
    for (const r of records) byKey.set(r.key!, [...(byKey.get(r.key!) ?? []), r]);
    for (const { id: account, v } of finals) {
      const mine = byKey.get(JSON.stringify({ id: account }))!;
      const values = mine.map((r) => r.value as { op: string; before: { v: number } | null; after: { v: number } });
      expect(values.map((x) => x.after.v)).toEqual(Array.from({ length: v + 1 }, (_, i) => i));
      expect(values[0].op).toBe("r");
      expect(values.slice(1).every((x, i) => x.op === "u" && x.before!.v === i)).toBe(true);
    }

    // stopped for good: its slot (it would keep WAL on the database's disk) and its publication go
    const owned = async () => (await client.query<{ n: number }>("SELECT (SELECT count(*) FROM pg_replication_slots WHERE database = current_database()) + (SELECT count(*) FROM pg_publication) AS n")).rows[0].n;
    expect(Number(await owned())).toBe(2);
    await engine!.api.deployments.stop.mutate({ flowId: id });
    await waitFor(async () => (Number(await owned()) === 0 ? true : undefined), 30_000, "the flow's slot and publication dropped");
  }, 300_000);
});
