// A partition leader of a 3-broker cluster is killed (SIGKILL) while flows read and write it,
// and started again later; then another leader is killed, so that the flows can only write with
// the restarted broker's help. The cluster is this file's own (scripts/kafka startKafkaCluster):
// three KRaft nodes, replication factor 3 and min.insync.replicas 2 as broker defaults, so every
// topic the deployment creates is replicated and an acknowledged record survives one broker.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// first: the engine's kafkajs adaptations must be installed before kafkajs loads (the feeder is the engine's client)
import { createKafka, kafkaClientInfo, type KafkaClient, type KafkaProducer } from "../kafka/index.js";
import kafkajs, { type Admin } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, freePort, waitFor } from "@millrace/testkit";
import { startKafkaCluster, type KafkaCluster } from "../../../../scripts/kafka/index.mjs";
import { flowDoc, readTopic, spawnEngine, uid, type EngineProcess } from "../../test-support/index.js";

const { ConfigResourceTypes, Kafka, logLevel } = kafkajs;
/** describeConfigs' configSource of a topic's own setting */
const TOPIC_CONFIG = 1;
const PARTITIONS = 3;
const PER_SECOND = 2000;

interface FlowUnderTest {
  id: string;
  input: string;
  sink: string;
  exactlyOnce: boolean;
}

/**
 * Writes `{ i }`, i = 0, 1, 2, …, to every topic of `topics` (the same records to each) at about
 * PER_SECOND, until stopped. A chunk the client gives up on is sent again: the inputs may then
 * hold a record twice, which is why the checks compare the sinks with what the inputs hold.
 */
function feed(producer: KafkaProducer, topics: string[]) {
  let stopped = false;
  let next = 0;
  let failures = 0;
  const chunk = PER_SECOND / 10;
  const running = (async () => {
    while (!stopped) {
      const t0 = Date.now();
      const batch = topics.map((topic) => ({
        topic,
        messages: Array.from({ length: chunk }, (_, k) => ({ value: JSON.stringify({ i: next + k }), partition: (next + k) % PARTITIONS })),
      }));
      try {
        await producer.sendBatch(batch);
        next += chunk;
      } catch {
        failures++;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - t0))));
    }
    return next;
  })();
  return { written: () => next, failures: () => failures, stop: () => ((stopped = true), running) };
}

describe("broker failover: the leader of a partition a flow reads and writes is killed mid-run, then restarted", () => {
  let dataDir: string;
  let cluster: KafkaCluster;
  let brokers: string[];
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let kafka: KafkaClient;
  let admin: Admin;
  let engine: EngineProcess | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "millrace-failover-"));
    cluster = await startKafkaCluster({ dataDir, nodes: 3 });
    brokers = cluster.brokers.split(",");
    db = await createTestDatabase("failover");
    kafka = createKafka({ brokers, clientId: uid("failover-test") });
    admin = new Kafka({ clientId: uid("failover-admin"), brokers, logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } }).admin();
    await admin.connect();
    // 3 JVMs on a small machine: a broker can be briefly fenced right after startup
    await waitFor(async () => (await admin.describeCluster()).brokers.length === 3, 60_000, "3 live brokers");
  }, 180_000);

  afterAll(async () => {
    await engine?.kill9();
    if (engine && process.env.MILLRACE_KEEP_KAFKA_DIRS) writeFileSync(join(dataDir, "engine.log"), engine.output());
    await admin?.disconnect().catch(() => {});
    await kafka?.close();
    await db?.drop();
    await cluster?.stop();
    if (dataDir && !process.env.MILLRACE_KEEP_KAFKA_DIRS) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  /** Per topic partition: its leader's node id, its replicas and in-sync replicas. */
  async function partitionsOf(topics: string[]) {
    const m = await admin.fetchTopicMetadata({ topics });
    return m.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr })));
  }

  /** True when the metadata of every partition of `topics` could be read and all satisfy `ok`. */
  async function allPartitions(topics: string[], ok: (p: Awaited<ReturnType<typeof partitionsOf>>[number]) => boolean): Promise<boolean> {
    const parts = await partitionsOf(topics).catch(() => []);
    return new Set(parts.map((p) => p.topic)).size === topics.length && parts.every(ok);
  }

  async function sinkCount(topic: string): Promise<number> {
    return (await kafka.topicEndOffsets(topic).catch(() => [])).reduce((s, p) => s + p.high, 0);
  }

  /**
   * How often each i occurs in a topic (read_committed), read until `atLeast` distinct values are
   * there or `patienceMs` passed (what is missing then is reported by the caller).
   */
  async function occurrences(topic: string, atLeast: number, patienceMs: number): Promise<Map<number, number>> {
    const giveUp = Date.now() + patienceMs;
    const seen = new Set<number>();
    let counted = 0;
    const records = await readTopic(
      brokers,
      topic,
      (rs) => {
        for (; counted < rs.length; counted++) seen.add(rs[counted]!.value.i);
        return seen.size >= atLeast || Date.now() > giveUp;
      },
      { timeoutMs: patienceMs + 30_000, settleMs: 2000 },
    );
    const n = new Map<number, number>();
    for (const r of records) n.set(r.value.i, (n.get(r.value.i) ?? 0) + 1);
    return n;
  }

  it(
    "at-least-once loses nothing, exactly-once loses and duplicates nothing, and both keep moving after the broker is back",
    async () => {
      const t0 = Date.now();
      const step = (what: string) => console.info(`[failover] +${((Date.now() - t0) / 1000).toFixed(1)} s ${what}`);
      const flows: FlowUnderTest[] = [false, true].map((exactlyOnce) => {
        const tag = exactlyOnce ? "eo" : "alo";
        return { id: uid(`fo-${tag}`), input: uid(`fo-in-${tag}`), sink: uid(`fo-sink-${tag}`), exactlyOnce };
      });
      await kafka.ensureTopics(flows.map((f) => ({ topic: f.input, partitions: PARTITIONS })));
      engine = await spawnEngine({ port: await freePort(), databaseUrl: db.url, brokers });
      for (const f of flows) {
        const doc = flowDoc(
          f.id,
          [
            ["src", "kafka-source", { topic: f.input, fromBeginning: true }],
            ["inc", "map", { expression: '{ "i": value.i, "sq": value.i * value.i }' }],
            ["out", "kafka-sink", { topic: f.sink }],
          ],
          [["src", "success", "inc"], ["inc", "success", "out"]],
        );
        await engine.api.flows.save.mutate({ document: doc });
        await engine.api.deployments.deploy.mutate({ flowId: f.id, exactlyOnce: f.exactlyOnce });
      }
      for (const f of flows) await waitFor(async () => (await engine!.api.deployments.status.query({ flowId: f.id })).local.running, 30_000, `flow ${f.id} to run`);

      // every topic of the flows is replicated on all three brokers
      const topics = flows.flatMap((f) => [f.input, f.sink]);
      await waitFor(() => allPartitions(topics, (p) => p.leader >= 0), 30_000, "the sink topics");
      for (const p of await partitionsOf(topics)) expect(p.replicas, `${p.topic}/${p.partition}`).toHaveLength(3);
      // the sinks the deployment created need 2 replicas in sync by their own setting, not by the brokers' defaults
      const configs = await admin.describeConfigs({ includeSynonyms: false, resources: flows.map((f) => ({ type: ConfigResourceTypes.TOPIC, name: f.sink, configNames: ["min.insync.replicas"] })) });
      for (const r of configs.resources) expect(r.configEntries.map((e) => [e.configName, e.configValue, e.configSource])).toEqual([["min.insync.replicas", "2", TOPIC_CONFIG]]);

      step("flows running");
      // the feeder must not lose records either: it sends through the engine's adapted producer
      expect(kafkaClientInfo().adaptations.find((a) => a.name === "send-messages")?.active).toBe(true);
      const producer = kafka.producer({ idempotent: true });
      await producer.connect();
      const feeder = feed(producer, flows.map((f) => f.input));
      let killedNode: KafkaCluster["nodes"][number] | undefined;
      try {
        await waitFor(async () => (await Promise.all(flows.map((f) => sinkCount(f.sink)))).every((n) => n >= 2000), 60_000, "records through both flows");

        /** Kills the live broker leading most partitions the flows read or write, and waits until both flows move without it. */
        const killLeader = async (): Promise<KafkaCluster["nodes"][number]> => {
          const parts = await partitionsOf(topics);
          const led = new Map<number, number>();
          for (const p of parts) led.set(p.leader, (led.get(p.leader) ?? 0) + 1);
          const victim = [...led].reduce((best, x) => (x[1] > best[1] ? x : best))[0];
          const node = cluster.nodes.find((n) => n.nodeId === victim)!;
          step(`killing node ${victim}, leader of ${parts.filter((p) => p.leader === victim).map((p) => `${p.topic}/${p.partition}`).join(", ")}`);
          await node.kill();
          const killedAt = feeder.written();
          await waitFor(() => allPartitions(topics, (p) => p.leader !== victim && p.leader >= 0), 60_000, "new leaders");
          step("new leaders elected");
          await waitFor(() => feeder.written() >= killedAt + 3 * PER_SECOND, 60_000, "records fed while the broker is down");
          const before = await Promise.all(flows.map((f) => sinkCount(f.sink)));
          await waitFor(async () => (await Promise.all(flows.map((f, k) => sinkCount(f.sink).then((n) => n > before[k]! + PER_SECOND)))).every(Boolean), 60_000, "both flows moving with a broker down");
          step("both flows moved with the broker down");
          return node;
        };

        killedNode = await killLeader();
        await killedNode.start();
        killedNode = undefined;
        step("broker restarted");
        // the restarted broker catches up and is in sync again, also for the group offsets and transaction state
        await waitFor(async () => (await allPartitions(topics, (p) => p.isr.length === 3)) && (await allPartitions(["__consumer_offsets", "__transaction_state"], (p) => p.isr.length === 3)), 90_000, "all replicas in sync again");
        step("all replicas in sync again");
        // with another broker down, every write needs the restarted one (min.insync.replicas 2 of the 2 left): it serves again
        killedNode = await killLeader();
      } finally {
        await feeder.stop();
        await producer.disconnect();
        await killedNode?.start().catch(() => {});
      }
      const fed = feeder.written();
      step(`${fed} records fed`);

      for (const f of flows) {
        const input = await occurrences(f.input, fed, 60_000);
        const sink = await occurrences(f.sink, input.size, 60_000);
        let missing = 0;
        let duplicated = 0;
        for (const [i, n] of input) {
          const m = sink.get(i) ?? 0;
          if (m === 0) missing++;
          if (m > n) duplicated += m - n;
        }
        const extra = [...sink.keys()].filter((i) => !input.has(i)).length;
        const lost = (from: Map<number, number>) => {
          const gone: number[] = [];
          for (let i = 0; i < fed && gone.length < 20; i++) if (!from.has(i)) gone.push(i);
          return gone.join(",");
        };
        console.info(`[failover] ${f.input}: first missing ${lost(input) || "none"}; ${f.sink}: first missing ${lost(sink) || "none"}`);
        console.info(`[failover] ${f.exactlyOnce ? "exactly-once" : "at-least-once"}: ${fed} fed (${feeder.failures()} chunks resent), ${input.size} distinct in the input, missing ${missing}, duplicated ${duplicated}`);
        expect(input.size, "every record fed is in the input").toBe(fed);
        expect(missing, `${f.exactlyOnce ? "exactly-once" : "at-least-once"}: records missing from the sink`).toBe(0);
        expect(extra).toBe(0);
        if (f.exactlyOnce) expect(duplicated, "exactly-once: duplicated records in the sink").toBe(0);
        const status = await engine.api.deployments.status.query({ flowId: f.id });
        expect(status.status).toBe("running");
      }
      for (const f of flows) await engine.api.deployments.stop.mutate({ flowId: f.id });
    },
    420_000,
  );
});
