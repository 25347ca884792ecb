// Avro on real Kafka: a third-party producer and consumer speaking the Confluent wire format
// (@kafkajs/confluent-schema-registry) on both sides of a flow, schemas in the engine's own
// registry, reached directly and through a schema-registry connection.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import kafkajs from "kafkajs";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { createTestDatabase, freePort, testBrokers, waitFor } from "@millrace/testkit";
import { HEADER } from "@millrace/processors";
import { flowDoc, range, readTopic, spawnEngine, TEST_ADMIN_PASSWORD, uid, type EngineProcess } from "../../test-support/index.js";

const { Kafka, logLevel } = kafkajs;

const ORDER_V1 = { type: "record", name: "Order", namespace: "com.acme", fields: [{ name: "id", type: "long" }, { name: "amount", type: "double" }] };
const ORDER_V2 = { ...ORDER_V1, fields: [...ORDER_V1.fields, { name: "note", type: ["null", "string"], default: null }] };
const DOUBLED = { type: "record", name: "Doubled", namespace: "com.acme", fields: [{ name: "id", type: "long" }, { name: "twice", type: "double" }, { name: "note", type: "string", default: "" }] };

describe("avro formats on kafka-source and kafka-sink", () => {
  const brokers = testBrokers();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let engine: EngineProcess;
  let registry: SchemaRegistry;
  let deny: string | undefined;

  beforeAll(async () => {
    // the connection reaches the engine's own registry, which the default network policy denies ("self")
    deny = process.env.MILLRACE_HTTP_DENY;
    process.env.MILLRACE_HTTP_DENY = "169.254.0.0/16";
    db = await createTestDatabase("formats");
    engine = await spawnEngine({ port: await freePort(), databaseUrl: db.url, brokers });
    registry = new SchemaRegistry({ host: `${engine.url}/schema-registry`, auth: { username: "admin", password: TEST_ADMIN_PASSWORD } });
    await engine.api.connections.add.mutate({ document: { name: "own-registry", type: "schema-registry", url: `${engine.url}/schema-registry`, auth: { username: "admin", password: TEST_ADMIN_PASSWORD } } });
  }, 120_000);

  afterAll(async () => {
    await engine?.stop();
    await db?.drop();
    if (deny === undefined) delete process.env.MILLRACE_HTTP_DENY;
    else process.env.MILLRACE_HTTP_DENY = deny;
  }, 60_000);

  for (const via of ["the engine's own registry", "a schema-registry connection"] as const) {
    it(`reads Avro written by another client, every version, and writes Avro that client reads (${via})`, async () => {
      const id = uid("avro");
      const input = uid("orders");
      const output = uid("doubled");
      const admin = new Kafka({ clientId: "formats-test", brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: input, numPartitions: 2 }, { topic: output, numPartitions: 2 }], waitForLeaders: true });
      await admin.disconnect();
      const v1 = (await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(ORDER_V1) }, { subject: `${input}-value` })).id;
      const producer = new Kafka({ clientId: "formats-test", brokers, logLevel: logLevel.NOTHING }).producer();
      await producer.connect();
      await producer.send({ topic: input, messages: await Promise.all(range(0, 20).map(async (n) => ({ key: `o${n}`, value: await registry.encode(v1, { id: n, amount: n + 0.5 }) }))) });

      const registryField = via === "a schema-registry connection" ? { schemaRegistry: "own-registry" } : {};
      const doc = flowDoc(
        id,
        [
          ["in", "kafka-source", { topic: input, format: "avro", fromBeginning: true, ...registryField }],
          ["double", "map", { expression: '{ "id": value.id, "twice": value.amount * 2, "note": value.note ? value.note : "" }' }],
          // a value whose id is 13 gets a text where the schema wants a number: it must fail with the field
          ["bad", "map", { expression: 'value.id = 13 ? $merge([value, { "twice": "lots" }]) : value' }],
          ["out", "kafka-sink", { topic: output, format: "avro", valueSchema: JSON.stringify(DOUBLED), ...registryField }],
        ],
        [["in", "success", "double"], ["double", "success", "bad"], ["bad", "success", "out"]],
      );
      await engine.api.flows.save.mutate({ document: doc });
      expect((await engine.api.deployments.deploy.mutate({ flowId: id })).status).toBe("running");

      // a producer moves to version 2 (an optional field added) while the flow runs: no redeploy
      const v2 = (await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(ORDER_V2) }, { subject: `${input}-value` })).id;
      expect(v2).not.toBe(v1);
      await producer.send({ topic: input, messages: await Promise.all(range(20, 30).map(async (n) => ({ key: `o${n}`, value: await registry.encode(v2, { id: n, amount: n + 0.5, note: `v2-${n}` }) }))) });
      await producer.disconnect();

      const out = await readTopic(brokers, output, (r) => r.length >= 29, { decode: (b) => registry.decode(b) });
      const byId = new Map(out.map((r) => [Number((r.value as { id: number }).id), r.value as { id: number; twice: number; note: string }]));
      expect([...byId.keys()].sort((a, b) => a - b)).toEqual(range(0, 30).filter((n) => n !== 13));
      expect(byId.get(3)).toEqual({ id: 3, twice: 7, note: "" });
      expect(byId.get(25)).toEqual({ id: 25, twice: 51, note: "v2-25" });
      // the sink's schema is registered under <topic>-value, and the records name it
      const outId = await registry.getLatestSchemaId(`${output}-value`);
      expect(outId).toBeGreaterThan(0);

      const dead = await readTopic(brokers, `mr-dlq.${id}`, (r) => r.length >= 1);
      expect(dead[0]!.headers[HEADER.error]).toBe('format: value.twice: "lots" is not a double');
      expect(dead[0]!.headers[HEADER.errorNode]).toBe("out");
      await engine.api.deployments.stop.mutate({ flowId: id });
    }, 120_000);
  }

  it("sends a message that is not Avro to the dead-letter topic with the reason, and reads on", async () => {
    const id = uid("avro");
    const input = uid("mixed");
    const admin = new Kafka({ clientId: "formats-test", brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: input, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = new Kafka({ clientId: "formats-test", brokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    const schemaId = (await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(ORDER_V1) }, { subject: `${input}-value` })).id;
    await producer.send({ topic: input, messages: [{ value: '{"plain": "json"}' }, { value: await registry.encode(schemaId, { id: 1, amount: 2 }) }] });
    await producer.disconnect();
    await engine.api.flows.save.mutate({ document: flowDoc(id, [["in", "kafka-source", { topic: input, format: "avro", fromBeginning: true }], ["log", "log", {}]], [["in", "success", "log"]]) });
    await engine.api.deployments.deploy.mutate({ flowId: id });
    const dead = await readTopic(brokers, `mr-dlq.${id}`, (r) => r.length >= 1);
    expect(dead[0]!.headers[HEADER.error]).toBe("the message at offset 0 cannot be read: its value is not avro: not in the Avro wire format (magic byte 0 + schema id)");
    const stats = await waitFor(async () => {
      const n = (await engine.api.stats.snapshot.query({ flowId: id })).nodes.log;
      return n && n.in >= 1 ? n : undefined;
    }, 30_000, "the Avro message read on");
    expect(stats.in).toBe(1);
    await engine.api.deployments.stop.mutate({ flowId: id });
  }, 120_000);

  it("refuses to deploy a sink whose schema its subject's compatibility rule refuses, saying what breaks", async () => {
    const id = uid("avro");
    const topic = uid("ledger");
    await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(ORDER_V1) }, { subject: `${topic}-value` });
    // a new required field without a default: data written with v1 cannot be read (BACKWARD)
    const breaking = { ...ORDER_V1, fields: [...ORDER_V1.fields, { name: "currency", type: "string" }] };
    await engine.api.flows.save.mutate({
      document: flowDoc(id, [["gen", "generate", { count: 1, template: '{ "id": $i, "amount": 1 }' }], ["out", "kafka-sink", { topic, format: "avro", valueSchema: JSON.stringify(breaking) }]], [["gen", "success", "out"]]),
    });
    const refused = await engine.api.deployments.deploy.mutate({ flowId: id }).then(
      () => "deployed",
      (e: Error) => e.message,
    );
    expect(refused).toContain("nodes[1].config.valueSchema");
    expect(refused).toContain(`incompatible with subject "${topic}-value" in the engine's schema registry`);
    expect(refused).toContain("currency");
    expect(refused).toContain("BACKWARD");
  }, 60_000);
});
