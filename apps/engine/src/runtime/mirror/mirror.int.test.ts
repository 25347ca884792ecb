// kafka-mirror between two real clusters: the engine's own and a second one (the integration
// suite's KAFKA_SECOND_BROKERS, else one started here), with the engine killed -9 in the middle.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import kafkajs from "kafkajs";
import { createTestDatabase, freePort, testBrokers, waitFor } from "@millrace/testkit";
import { flowDoc, range, spawnEngine, uid, type EngineProcess } from "../../../test-support/index.js";
import { AclOperationTypes, AclResourceTypes, allow, ownCluster, PREFIXED, scramCluster, scramKafka, type ScramCluster } from "../../../test-support/scram.js";
import { decodeCheckpoint } from "./checkpoint-format.js";

const { Kafka, logLevel } = kafkajs;

interface RawRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: string;
  timestamp: string;
}

function client(brokers: string[]) {
  return new Kafka({ clientId: "mirror-test", brokers, logLevel: logLevel.NOTHING });
}

/** Every message of `topic` from the beginning until `done` says so, as bytes turned into comparable text. */
async function readRaw(brokers: string[], topic: string, done: (read: RawRecord[]) => boolean, timeoutMs = 120_000): Promise<RawRecord[]> {
  const admin = client(brokers).admin();
  await admin.connect();
  await waitFor(async () => (await admin.listTopics()).includes(topic), timeoutMs, `topic ${topic}`);
  await admin.disconnect();
  const consumer = client(brokers).consumer({ groupId: uid("mirror-reader"), maxBytesPerPartition: 4 << 20 });
  const out: RawRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const headers = Object.entries(m.headers ?? {})
          .map(([k, v]) => `${k}=${Array.isArray(v) ? v.map(String).join("|") : String(v)}`)
          .sort()
          .join(",");
        out.push({ partition: batch.partition, offset: Number(m.offset), key: m.key?.toString("base64") ?? null, value: m.value?.toString("base64") ?? null, headers, timestamp: m.timestamp });
      }
      if (done(out)) finish();
    },
  });
  const timer = setTimeout(finish, timeoutMs);
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  return out;
}

/** The message itself, whatever its offset: what a copy must keep. */
const content = (r: RawRecord) => `${r.partition}/${r.key}/${r.value}/${r.headers}/${r.timestamp}`;

describe("kafka-mirror across two clusters", () => {
  const brokers = testBrokers();
  let west: string[];
  let stopWest: (() => Promise<void>) | undefined;
  let scram: ScramCluster;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let engine: EngineProcess;
  let port: number;

  beforeAll(async () => {
    if (process.env.KAFKA_SECOND_BROKERS) west = process.env.KAFKA_SECOND_BROKERS.split(",");
    else {
      const own = await ownCluster();
      west = own.brokers.split(",");
      stopWest = own.stop;
    }
    scram = await scramCluster();
    db = await createTestDatabase("mirror");
    port = await freePort();
    engine = await spawnEngine({ port, databaseUrl: db.url, brokers });
    await engine.api.connections.add.mutate({ document: { name: "west", type: "kafka", brokers: west } });
    await engine.api.connections.add.mutate({ document: { name: "east", type: "kafka", brokers: scram.brokers.split(","), sasl: { mechanism: "scram-sha-512", username: scram.user.name, password: scram.user.password } } });
  }, 180_000);

  afterAll(async () => {
    await engine?.stop();
    await db?.drop();
    await stopWest?.();
    await scram?.stop();
  }, 60_000);

  it("copies 100,000 messages byte for byte, partition for partition, through a kill -9 of the engine, and writes checkpoints", async () => {
    const id = uid("mirror");
    const topic = uid("orders");
    const group = uid("billing");
    const own = client(brokers);
    const admin = own.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, configEntries: [{ name: "retention.ms", value: "86400000" }] }], waitForLeaders: true });
    await admin.disconnect();
    const producer = own.producer();
    await producer.connect();
    const total = 100_000;
    // recent: the day's retention must not delete them meanwhile
    const base = Date.now() - 3_600_000;
    const produceRange = async (from: number, to: number) => {
      for (let i = from; i < to; i += 2_000) {
        await producer.send({
          topic,
          messages: range(i, Math.min(i + 2_000, to)).map((n) => ({
            key: n % 10 === 0 ? null : `k${n}`,
            // bytes that are not JSON nor UTF-8 must arrive unchanged
            value: n % 7 === 0 ? null : Buffer.from([n & 0xff, 0xfe, 0xff, (n >> 8) & 0xff]),
            partition: n % 3,
            timestamp: String(base + n),
            headers: n % 5 === 0 ? { trace: `t${n}`, tag: ["a", "b"] } : {},
          })),
        });
      }
    };
    await produceRange(0, total / 2);

    await engine.api.flows.save.mutate({ document: flowDoc(id, [["copy", "kafka-mirror", { to: "west", topics: [topic], checkpointIntervalSeconds: 1, refreshTopicsSeconds: 1, syncGroupOffsets: true }]], []) });
    expect((await engine.api.deployments.deploy.mutate({ flowId: id })).status).toBe("running");

    // a consumer group on the source that has read 1,000 messages of partition 0 (and gone away)
    const groupAdmin = own.admin();
    await groupAdmin.connect();
    await groupAdmin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: "1000" }] });
    await groupAdmin.disconnect();

    // kill -9 mid-copy, go on producing, start a new engine on the same database
    const westAdmin = client(west).admin();
    await westAdmin.connect();
    await waitFor(async () => {
      const offs = await westAdmin.fetchTopicOffsets(topic).catch(() => []);
      return offs.reduce((s, o) => s + Number(o.high), 0) >= 20_000;
    }, 60_000, "a part copied before the kill");
    await engine.kill9();
    await produceRange(total / 2, total);
    await producer.disconnect();
    engine = await spawnEngine({ port, databaseUrl: db.url, brokers });

    const source = await readRaw(brokers, topic, (read) => read.length >= total);
    expect(source).toHaveLength(total);
    // duplicates (at least once) may come before the last messages: read until every message is there
    const copied = new Set<string>();
    let seen = 0;
    const copies = await readRaw(
      west,
      topic,
      (read) => {
        for (; seen < read.length; seen++) copied.add(content(read[seen]!));
        return copied.size >= total;
      },
      180_000,
    );
    const missing = source.filter((r) => !copied.has(content(r)));
    expect(missing.slice(0, 5)).toEqual([]);
    // in each partition, the copies are in the source's order (a re-copy after the kill only repeats a stretch)
    const order = (rs: RawRecord[], p: number) => rs.filter((r) => r.partition === p).map(content);
    for (const p of [0, 1, 2]) expect(new Set(order(copies, p))).toEqual(new Set(order(source, p)));

    // the copy: same partitions, the source's retention, timestamps as created
    const meta = await westAdmin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]!.partitions).toHaveLength(3);
    const configs = await westAdmin.describeConfigs({ resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: ["retention.ms", "message.timestamp.type"] }], includeSynonyms: false });
    const entries = Object.fromEntries(configs.resources[0]!.configEntries.map((c) => [c.configName, c.configValue]));
    expect(entries).toEqual({ "retention.ms": "86400000", "message.timestamp.type": "CreateTime" });

    // a checkpoint translates the group's position on partition 0 to the same message on the copy
    const checkpoints = await waitFor(
      async () => {
        const all = await readRaw(west, "local.checkpoints.internal", (read) => read.length > 0, 5_000).catch(() => []);
        const mine = all.map((r) => decodeCheckpoint(Buffer.from(r.key!, "base64"), Buffer.from(r.value!, "base64"))).filter((c) => c.group === group);
        return mine.length ? mine : undefined;
      },
      60_000,
      "a checkpoint of the source group",
    );
    const cp = checkpoints.at(-1)!;
    expect(cp).toMatchObject({ group, topic, partition: 0, upstreamOffset: 1_000, metadata: "" });
    const atUpstream = source.find((r) => r.partition === 0 && r.offset === 1_000)!;
    const atDownstream = copies.find((r) => r.partition === 0 && r.offset === cp.downstreamOffset)!;
    expect(content(atDownstream)).toBe(content(atUpstream));
    // and the group's offsets on the target were moved there (it has no member on the target)
    const synced = await waitFor(async () => {
      const [t] = await westAdmin.fetchOffsets({ groupId: group, topics: [topic] });
      const p0 = t?.partitions.find((p) => p.partition === 0);
      return p0 && Number(p0.offset) >= 0 ? Number(p0.offset) : undefined;
    }, 30_000, "the group's offsets synced to the target");
    expect(synced).toBe(cp.downstreamOffset);
    await westAdmin.disconnect();

    // the node shows the copy caught up, per topic
    const figures = await waitFor(async () => {
      const n = (await engine.api.stats.snapshot.query({ flowId: id })).nodes.copy;
      const r = n?.replication?.[topic];
      return r && r.lag === 0 && r.partitions === 3 ? r : undefined;
    }, 30_000, "the replication lag per topic on the node");
    expect(figures.target).toBe(topic);
    await engine.api.deployments.stop.mutate({ flowId: id });
  }, 420_000);

  it("picks up topics created later that match a pattern, with their partitions and compaction, under the prefix", async () => {
    const id = uid("mirror");
    const stem = uid("events").replace(/[^a-z0-9]/g, "");
    const early = `${stem}-a`;
    const later = `${stem}-b`;
    const admin = client(brokers).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: early, numPartitions: 2 }], waitForLeaders: true });
    await engine.api.flows.save.mutate({ document: flowDoc(id, [["copy", "kafka-mirror", { to: "west", topics: [`/${stem}-.*/`], prefix: "east.", refreshTopicsSeconds: 1 }]], []) });
    await engine.api.deployments.deploy.mutate({ flowId: id });
    await admin.createTopics({ topics: [{ topic: later, numPartitions: 4, configEntries: [{ name: "cleanup.policy", value: "compact" }] }], waitForLeaders: true });
    await admin.disconnect();
    const producer = client(brokers).producer();
    await producer.connect();
    await producer.send({ topic: early, messages: range(0, 10).map((n) => ({ key: `a${n}`, value: `${n}` })) });
    await producer.send({ topic: later, messages: range(0, 20).map((n) => ({ key: `b${n}`, value: `${n}`, partition: n % 4 })) });
    await producer.disconnect();

    const a = await readRaw(west, `east.${early}`, (read) => read.length >= 10, 60_000);
    const b = await readRaw(west, `east.${later}`, (read) => read.length >= 20, 60_000);
    expect(a).toHaveLength(10);
    expect(b.map((r) => r.partition).sort()).toEqual(range(0, 20).map((n) => n % 4).sort());
    const westAdmin = client(west).admin();
    await westAdmin.connect();
    const configs = await westAdmin.describeConfigs({ resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: `east.${later}`, configNames: ["cleanup.policy"] }], includeSynonyms: false });
    expect(configs.resources[0]!.configEntries[0]!.configValue).toBe("compact");
    expect((await westAdmin.fetchTopicMetadata({ topics: [`east.${later}`] })).topics[0]!.partitions).toHaveLength(4);
    await westAdmin.disconnect();
    await engine.api.deployments.stop.mutate({ flowId: id });
  }, 180_000);

  it("copies from a SCRAM cluster as a user that may only read there, and names the user and topic when the target refuses", async () => {
    const id = uid("mirror");
    const topic = uid("payments");
    const admin = scramKafka(scram.brokers, scram.admin).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await admin.createAcls({
      acl: [
        allow(AclResourceTypes.TOPIC, topic, AclOperationTypes.READ, scram.user.name),
        allow(AclResourceTypes.TOPIC, topic, AclOperationTypes.DESCRIBE, scram.user.name),
        allow(AclResourceTypes.GROUP, `mr.${id}`, AclOperationTypes.READ, scram.user.name, PREFIXED),
      ],
    });
    const producer = scramKafka(scram.brokers, scram.admin).producer();
    await producer.connect();
    await producer.send({ topic, messages: range(0, 50).map((n) => ({ key: `p${n}`, value: `${n}`, partition: n % 2 })) });
    await producer.disconnect();
    await engine.api.flows.save.mutate({ document: flowDoc(id, [["copy", "kafka-mirror", { from: "east", to: "west", topics: [topic], prefix: "east." }]], []) });
    await engine.api.deployments.deploy.mutate({ flowId: id });
    const copies = await readRaw(west, `east.${topic}`, (read) => read.length >= 50, 60_000);
    expect(copies.map((r) => Buffer.from(r.key!, "base64").toString()).sort()).toEqual(range(0, 50).map((n) => `p${n}`).sort());
    await engine.api.deployments.stop.mutate({ flowId: id });

    // the other way: the user may describe the copy on the SCRAM cluster but not write it
    const back = uid("mirror");
    const source = uid("ledger");
    const westAdmin = client(west).admin();
    await westAdmin.connect();
    await westAdmin.createTopics({ topics: [{ topic: source, numPartitions: 1 }], waitForLeaders: true });
    await westAdmin.disconnect();
    await admin.createTopics({ topics: [{ topic: `w.${source}`, numPartitions: 1 }], waitForLeaders: true });
    await admin.createAcls({ acl: [allow(AclResourceTypes.TOPIC, `w.${source}`, AclOperationTypes.DESCRIBE, scram.user.name)] });
    await admin.disconnect();
    const westProducer = client(west).producer();
    await westProducer.connect();
    await westProducer.send({ topic: source, messages: [{ key: "a", value: "1" }] });
    await westProducer.disconnect();
    await engine.api.flows.save.mutate({ document: flowDoc(back, [["copy", "kafka-mirror", { from: "west", to: "east", topics: [source], prefix: "w.", sourceAlias: "west" }]], []) });
    await engine.api.deployments.deploy.mutate({ flowId: back });
    const node = await waitFor(async () => {
      const n = (await engine.api.stats.snapshot.query({ flowId: back })).nodes.copy;
      return n?.lastError?.includes("not authorized to write") ? n : undefined;
    }, 60_000, "the refused write on the node");
    expect(node.lastError).toBe(
      `retrying: not authorized to write topic "w.${source}" on the cluster of connection "east" as user "${scram.user.name}" (TOPIC_AUTHORIZATION_FAILED): an ACL must allow it WRITE on the topic; the copy waits and tries again until it is allowed`,
    );
    const status = await engine.api.deployments.status.query({ flowId: back });
    expect(status.status).toBe("running");
    expect(engine.output()).not.toContain(scram.user.password);
    await engine.api.deployments.stop.mutate({ flowId: back });
  }, 180_000);

  it("refuses to deploy a mirror naming a missing connection, with its path", async () => {
    const id = uid("mirror");
    await engine.api.flows.save.mutate({ document: flowDoc(id, [["copy", "kafka-mirror", { from: "nowhere", to: "west", topics: ["x"] }]], []) });
    const refused = await engine.api.deployments.deploy.mutate({ flowId: id }).then(
      () => "deployed",
      (e: Error) => e.message,
    );
    expect(refused).toContain('nodes[0].config.from: no kafka connection named "nowhere"');
  }, 60_000);
});
