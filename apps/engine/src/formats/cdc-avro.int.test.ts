// Change data capture into Avro on a real engine, broker and Postgres (wal_level=logical): a
// postgres-cdc with avroSchema feeding a kafka-sink with schemaFromRecord. Columns added and
// dropped while the flow runs become the subject's next versions in the engine's own registry,
// with no redeploy, and another registry client reads every record with the schema it was written with.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import kafkajs from "kafkajs";
import { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import { createTestDatabase, freePort, testBrokers } from "@millrace/testkit";
import { HEADER } from "@millrace/processors";
import { dropReplicationSlots } from "../../test-support/replication-slots.js";
import { flowDoc, readTopic, spawnEngine, TEST_ADMIN_PASSWORD, uid, type EngineProcess } from "../../test-support/index.js";

const { Kafka, logLevel } = kafkajs;

describe("postgres-cdc into Avro, the schema following the table", () => {
  const brokers = testBrokers();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let source: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: pg.Client;
  let engine: EngineProcess;
  let registry: SchemaRegistry;

  beforeAll(async () => {
    db = await createTestDatabase("cdcavro");
    source = await createTestDatabase("cdcavrosrc");
    client = new pg.Client({ connectionString: source.url });
    await client.connect();
    engine = await spawnEngine({ port: await freePort(), databaseUrl: db.url, brokers });
    registry = new SchemaRegistry({ host: `${engine.url}/schema-registry`, auth: { username: "admin", password: TEST_ADMIN_PASSWORD } });
  }, 120_000);

  afterAll(async () => {
    await engine?.stop();
    if (client) await dropReplicationSlots(client);
    await client?.end();
    await source?.drop();
    await db?.drop();
  }, 60_000);

  for (const envelope of ["millrace", "debezium"] as const) {
    it(`writes each change with its table's schema as it was: added and dropped columns are new versions, no redeploy (envelope ${envelope})`, async () => {
      const table = `public.orders_${envelope}`;
      await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, "order-ref" text, amount numeric, big bigint, ok boolean, f float8,
          tags text[], doc jsonb, at timestamptz, raw bytea);
        INSERT INTO ${table} VALUES (1, 'A-1', 12.50, 9007199254740993, true, 1.5, '{a,NULL}', '{"x": [1, 2]}', '2026-01-02 03:04:05.123456+00', '\\x00ff')`);
      const id = uid("cdcavro");
      const out = uid("orders");
      const admin = new Kafka({ clientId: "cdc-avro-test", brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: out, numPartitions: 1 }], waitForLeaders: true });
      await admin.disconnect();
      await engine.api.flows.save.mutate({
        document: flowDoc(
          id,
          [
            ["cdc", "postgres-cdc", { url: source.url, tables: [table], envelope, avroSchema: true }],
            ["out", "kafka-sink", { topic: out, format: "avro", schemaFromRecord: true }],
          ],
          [["cdc", "success", "out"]],
        ),
      });
      expect((await engine.api.deployments.deploy.mutate({ flowId: id })).status).toBe("running");
      // every value with the id of the schema it was written with
      const decode = async (b: Buffer) => ({ schemaId: b.readUInt32BE(1), value: (await registry.decode(b)) as unknown });
      await readTopic(brokers, out, (r) => r.length >= 1, { timeoutMs: 60_000, settleMs: 0, decode });

      await client.query(`INSERT INTO ${table} (id, "order-ref", amount) VALUES (2, 'A-2', 3)`);
      await client.query(`ALTER TABLE ${table} ADD COLUMN note text`);
      await client.query(`INSERT INTO ${table} (id, note) VALUES (3, 'added')`);
      await client.query(`ALTER TABLE ${table} DROP COLUMN ok`);
      await client.query(`INSERT INTO ${table} (id, note) VALUES (4, 'dropped ok')`);

      const records = await readTopic(brokers, out, (r) => r.length >= 4, { timeoutMs: 60_000, settleMs: 1000, decode });
      expect(records).toHaveLength(4);
      const values = records.map((r) => JSON.parse(JSON.stringify(r.value.value)) as { op: string; after: Record<string, unknown>; source: { table: string; schema?: string } });
      expect(values.map((v) => [v.op, v.after.id])).toEqual([["r", 1], ["c", 2], ["c", 3], ["c", 4]]);
      // the snapshot's row: every mapped type read back by another client; a name Avro refuses adjusted
      expect(values[0]!.after).toEqual({
        id: 1, order_ref: "A-1", amount: "12.50", big: "9007199254740993", ok: true, f: 1.5, tags: ["a", null], doc: '{"x": [1, 2]}', at: "2026-01-02T03:04:05.123456Z", raw: { type: "Buffer", data: [0, 255] },
      });
      expect(values[0]!.source.table).toBe(envelope === "millrace" ? table : `orders_${envelope}`);
      expect(values[1]!.after).toMatchObject({ id: 2, order_ref: "A-2", amount: "3", ok: null });
      expect(values[2]!.after).toMatchObject({ id: 3, note: "added", ok: null });
      expect(values[3]!.after).toMatchObject({ id: 4, note: "dropped ok" });
      expect("ok" in values[3]!.after).toBe(false);
      expect("note" in values[1]!.after).toBe(false);
      // the key stays the row's primary key; the schema header is not written
      expect(records.map((r) => r.key)).toEqual([1, 2, 3, 4].map((n) => JSON.stringify({ id: n })));
      expect(records.every((r) => r.headers[HEADER.avroSchema] === undefined)).toBe(true);

      // three versions under <topic>-value, the records naming them in order
      const res = await fetch(`${engine.url}/schema-registry/subjects/${out}-value/versions`, { headers: { authorization: `Basic ${Buffer.from(`admin:${TEST_ADMIN_PASSWORD}`).toString("base64")}` } });
      expect(await res.json()).toEqual([1, 2, 3]);
      const ids = records.map((r) => (r.value as { schemaId: number }).schemaId);
      expect(ids[0]).toBe(ids[1]);
      expect(new Set(ids).size).toBe(3);
      await engine.api.deployments.stop.mutate({ flowId: id });
    }, 180_000);
  }
});
