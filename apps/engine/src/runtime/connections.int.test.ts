// Flows across clusters through named connections: a SCRAM-protected cluster with ACLs (the
// integration suite's KAFKA_SCRAM_*, else one started here) and a second plain cluster
// (KAFKA_SECOND_BROKERS, else one started here), beside the engine's own cluster.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import kafkajs from "kafkajs";
import { createTestDatabase, freePort, testBrokers, waitFor } from "@millrace/testkit";
import { HEADER } from "@millrace/processors";
import pg from "pg";
import { flowDoc, range, readTopic, spawnEngine, uid, type EngineProcess } from "../../test-support/index.js";
import { AclOperationTypes, AclResourceTypes, allow, ownCluster, PREFIXED, scramCluster, scramKafka, type Login, type ScramCluster } from "../../test-support/scram.js";
import { ConnectionKafkaClients } from "../kafka/index.js";
import type { ExecutionPlan } from "../planner/index.js";
import { FlowConnections } from "./flow-connections.js";

const { Kafka, logLevel } = kafkajs;

describe("flows across clusters through named connections", () => {
  const brokers = testBrokers();
  let scram: ScramCluster;
  let second: string;
  let stopSecond: (() => Promise<void>) | undefined;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let engine: EngineProcess;
  const wrongPassword = `wrong-${randomBytes(6).toString("hex")}`;

  beforeAll(async () => {
    scram = await scramCluster();
    if (process.env.KAFKA_SECOND_BROKERS) second = process.env.KAFKA_SECOND_BROKERS;
    else ({ brokers: second, stop: stopSecond } = await ownCluster());
    db = await createTestDatabase("conn_flows");
    engine = await spawnEngine({ port: await freePort(), databaseUrl: db.url, brokers });
    const kafka = (name: string, target: string, login?: Login) => ({
      name,
      type: "kafka",
      brokers: target.split(","),
      ...(login ? { sasl: { mechanism: "scram-sha-512", username: login.name, password: login.password } } : {}),
    });
    await engine.api.connections.add.mutate({ document: kafka("east", scram.brokers, scram.user) });
    await engine.api.connections.add.mutate({ document: kafka("west", second) });
    await engine.api.connections.add.mutate({ document: kafka("east-wrong", scram.brokers, { name: scram.user.name, password: wrongPassword }) });
    await engine.api.connections.add.mutate({ document: { name: "warehouse", type: "postgres", url: db.url } });
  }, 180_000);

  afterAll(async () => {
    await engine?.stop();
    await db?.drop();
    await scram?.stop();
    await stopSecond?.();
  }, 60_000);

  it("reads a SCRAM cluster as a user with ACLs and writes every record to a second cluster", async () => {
    const id = uid("xc");
    const input = uid("in");
    const output = uid("out");
    const admin = scramKafka(scram.brokers, scram.admin).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: input, numPartitions: 3 }], waitForLeaders: true });
      await admin.createAcls({
        acl: [
          allow(AclResourceTypes.TOPIC, input, AclOperationTypes.READ, scram.user.name),
          allow(AclResourceTypes.TOPIC, input, AclOperationTypes.DESCRIBE, scram.user.name),
          allow(AclResourceTypes.GROUP, `mr.${id}`, AclOperationTypes.READ, scram.user.name, PREFIXED),
        ],
      });
      const producer = scramKafka(scram.brokers, scram.admin).producer();
      await producer.connect();
      await producer.send({ topic: input, messages: range(0, 200).map((i) => ({ key: `k${i}`, value: JSON.stringify({ n: i }) })) });
      await producer.disconnect();
    } finally {
      await admin.disconnect();
    }
    const westAdmin = new Kafka({ clientId: "connections-test", brokers: second.split(","), logLevel: logLevel.NOTHING }).admin();
    await westAdmin.connect();
    await westAdmin.createTopics({ topics: [{ topic: output, numPartitions: 2 }], waitForLeaders: true });
    await westAdmin.disconnect();

    const doc = flowDoc(
      id,
      [
        ["in", "kafka-source", { topic: input, connection: "east", fromBeginning: true }],
        ["double", "map", { expression: '{ "n": value.n, "twice": value.n * 2 }' }],
        ["out", "kafka-sink", { topic: output, connection: "west" }],
      ],
      [["in", "success", "double"], ["double", "success", "out"]],
    );
    await engine.api.flows.save.mutate({ document: doc });
    const status = await engine.api.deployments.deploy.mutate({ flowId: id });
    expect(status.status).toBe("running");

    const records = await readTopic(second.split(","), output, (r) => r.length >= 200);
    expect(records.map((r) => r.value.n).sort((a, b) => a - b)).toEqual(range(0, 200));
    expect(records.every((r) => r.value.twice === r.value.n * 2 && r.key === `k${r.value.n}`)).toBe(true);
    // nothing was written to a topic of that name on the engine's own cluster
    const own = new Kafka({ clientId: "connections-test", brokers, logLevel: logLevel.NOTHING }).admin();
    await own.connect();
    expect(await own.listTopics()).not.toContain(output);
    await own.disconnect();

    const exported = JSON.stringify(await engine.api.flows.export.query({ id }));
    expect(exported).toContain('"connection":"east"');
    await engine.api.deployments.stop.mutate({ flowId: id });
  }, 120_000);

  it("sends records the cluster refuses (no WRITE ACL) to the dead-letter topic, naming the topic and the user, and keeps running", async () => {
    const id = uid("acl");
    const denied = uid("denied");
    const admin = scramKafka(scram.brokers, scram.admin).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: denied, numPartitions: 1 }], waitForLeaders: true });
      await admin.createAcls({ acl: [allow(AclResourceTypes.TOPIC, denied, AclOperationTypes.DESCRIBE, scram.user.name)] });
    } finally {
      await admin.disconnect();
    }
    const doc = flowDoc(id, [["gen", "generate", { count: 20, template: '{ "n": $i }' }], ["out", "kafka-sink", { topic: denied, connection: "east" }]], [["gen", "success", "out"]]);
    await engine.api.flows.save.mutate({ document: doc });
    await engine.api.deployments.deploy.mutate({ flowId: id });
    const dead = await readTopic(brokers, `mr-dlq.${id}`, (r) => r.length >= 20);
    expect(dead.map((r) => r.value.n).sort((a, b) => a - b)).toEqual(range(0, 20));
    expect(dead[0]!.headers[HEADER.error]).toBe(
      `not authorized to write topic "${denied}" on the cluster of connection "east" as user "${scram.user.name}" (TOPIC_AUTHORIZATION_FAILED): an ACL must allow it WRITE on the topic`,
    );
    expect(dead[0]!.headers[HEADER.errorNode]).toBe("out");
    // the canvas shows them as the sink's errors, with the reason
    const out = await waitFor(async () => {
      const n = (await engine.api.stats.snapshot.query({ flowId: id })).nodes.out;
      return n && n.errors >= 20 ? n : undefined;
    }, 15_000, "refused writes counted as the sink's errors");
    expect(out.errors).toBe(20);
    expect(out.lastError).toContain("TOPIC_AUTHORIZATION_FAILED");
    const status = await engine.api.deployments.status.query({ flowId: id });
    expect(status.status).toBe("running");
    expect(status.error).toBeNull();
    await engine.api.deployments.stop.mutate({ flowId: id });
  }, 120_000);

  it("refuses to deploy with a wrong password, naming the connection and the mechanism", async () => {
    const id = uid("pw");
    const doc = flowDoc(id, [["gen", "generate", { count: 1, template: "$i" }], ["out", "kafka-sink", { topic: "anything", connection: "east-wrong" }]], [["gen", "success", "out"]]);
    await engine.api.flows.save.mutate({ document: doc });
    const refused = await engine.api.deployments.deploy.mutate({ flowId: id }).then(
      () => "deployed",
      (e: Error) => e.message,
    );
    expect(refused).toContain("nodes[1].config.connection");
    expect(refused).toContain('connection "east-wrong"');
    expect(refused).toContain("SASL scram-sha-512 authentication");
    expect(refused).not.toContain(wrongPassword);
  }, 60_000);

  it("a wrong password at a stage's start names the connection and the mechanism", async () => {
    const plan = { nodes: [{ id: "out", connection: "east-wrong" }] } as unknown as ExecutionPlan;
    const document = { name: "east-wrong", type: "kafka" as const, brokers: scram.brokers.split(","), sasl: { mechanism: "scram-sha-512" as const, username: scram.user.name, password: wrongPassword } };
    const clients = new ConnectionKafkaClients("connections-test");
    const failed = await FlowConnections.open(plan, { open: async () => document }, clients).then(
      () => "opened",
      (e: Error) => e.message,
    );
    expect(failed).toContain('connection "east-wrong": SASL scram-sha-512 authentication as "alice"'.replace("alice", scram.user.name));
    expect(failed).not.toContain(wrongPassword);
    expect(clients.openConnections()).toEqual([]);
  }, 60_000);

  it("a postgres-sink writes through a postgres connection", async () => {
    const id = uid("pg");
    const table = `t_${randomBytes(4).toString("hex")}`;
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(`CREATE TABLE ${table} (n int primary key)`);
      const doc = flowDoc(id, [["gen", "generate", { count: 10, template: '{ "n": $i }' }], ["db", "postgres-sink", { connection: "warehouse", table, columns: { n: "value.n" } }]], [["gen", "success", "db"]]);
      await engine.api.flows.save.mutate({ document: doc });
      await engine.api.deployments.deploy.mutate({ flowId: id });
      const rows = await waitFor(async () => {
        const r = await client.query<{ n: number }>(`SELECT n FROM ${table} ORDER BY n`);
        return r.rows.length >= 10 ? r.rows : undefined;
      }, 30_000, "rows written");
      expect(rows.map((r) => r.n)).toEqual(range(0, 10));
      await engine.api.deployments.stop.mutate({ flowId: id });
    } finally {
      await client.end();
    }
  }, 60_000);

  it("refuses an import naming a missing connection or one of the wrong type, with the path", async () => {
    const doc = flowDoc(uid("imp"), [["in", "kafka-source", { topic: "t", connection: "nowhere" }], ["db", "postgres-sink", { connection: "west", table: "t", columns: { a: "value" } }]], [["in", "success", "db"]]);
    const refused = await engine.api.flows.import.mutate({ text: JSON.stringify(doc) }).then(
      () => "imported",
      (e: Error) => e.message,
    );
    expect(refused).toContain('nodes[0].config.connection: no kafka connection named "nowhere"');
    expect(refused).toContain('nodes[1].config.connection: no postgres connection named "west" ("west" is a kafka connection)');
  });

  it("never shows a connection's secret in API answers or the engine's log", async () => {
    const answers = JSON.stringify([await engine.api.connections.list.query(), await engine.api.connections.get.query({ name: "east" }), await engine.api.connections.get.query({ name: "east-wrong" })]);
    await waitFor(() => engine.output().length > 0, 5_000, "engine output");
    for (const secret of [scram.user.password, wrongPassword]) {
      expect(answers).not.toContain(secret);
      expect(engine.output()).not.toContain(secret);
    }
  });
});
