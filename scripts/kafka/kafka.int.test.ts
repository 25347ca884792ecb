// Tests of the project's own Kafka scripts: a second broker on a free port in a temp dir.
// The 3-node cluster test is slow (3 JVMs on 2 cores): run it with MILLRACE_KAFKA_CLUSTER_TEST=1.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import kafkajs from "kafkajs";
import { freePort, waitFor } from "../../packages/testkit/src/index.js";
import { ensureKafkaJars, startKafka, startKafkaCluster, stopKafka, kafkaJarDir } from "./index.mjs";

const { Kafka, logLevel } = kafkajs;
const dirs: string[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "millrace-kafka-test-"));
  dirs.push(d);
  return d;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

function admin(brokers: string) {
  return new Kafka({ clientId: "kafka-script-test", brokers: brokers.split(","), logLevel: logLevel.NOTHING }).admin();
}

afterAll(async () => {
  for (const d of dirs) {
    await stopKafka(d);
    if (!process.env.MILLRACE_KEEP_KAFKA_DIRS) rmSync(d, { recursive: true, force: true });
  }
});

describe("scripts/kafka", () => {
  it("keeps the jars in a complete cache outside the repo", async () => {
    const dir: string = await ensureKafkaJars({ quiet: true });
    expect(dir).toBe(kafkaJarDir());
    expect(existsSync(join(dir, ".complete"))).toBe(true);
    expect(existsSync(join(dir, "kafka_2.13-3.9.2.jar"))).toBe(true);
    expect(dir.startsWith(process.cwd())).toBe(false);
  });

  it("starts a broker on a free port, which answers, keeps data across a restart, and stops it by its PID", async () => {
    const port = await freePort();
    const dataDir = tempDir();
    const t0 = Date.now();
    const k = await startKafka({ port, dataDir });
    const startMs = Date.now() - t0;
    expect(k.brokers).toBe(`127.0.0.1:${port}`);
    expect(Number(readFileSync(join(dataDir, "kafka.pid"), "utf8"))).toBe(k.pid);
    expect(alive(k.pid)).toBe(true);
    console.log(`[kafka test] fresh start (format + JVM + ready) took ${startMs} ms`);

    const a = admin(k.brokers);
    await a.connect();
    const c = await a.describeCluster();
    expect(c.brokers.map((b) => b.port)).toEqual([port]);
    await a.createTopics({ topics: [{ topic: "survives-restart", numPartitions: 2 }], waitForLeaders: true });
    await a.disconnect();

    // starting again while it runs reuses it
    const again = await startKafka({ port, dataDir });
    expect(again.reused).toBe(true);
    expect(again.pid).toBe(k.pid);

    // a second broker cannot take the same port
    await expect(startKafka({ port, dataDir: tempDir(), readyTimeoutMs: 5000 })).rejects.toThrow(/in use/);

    await k.stop();
    expect(alive(k.pid)).toBe(false);
    expect(existsSync(join(dataDir, "kafka.pid"))).toBe(false);
    expect(await stopKafka(dataDir)).toBe(0); // idempotent

    // restart on the same data dir: the topic is still there
    const k2 = await startKafka({ port, dataDir });
    expect(k2.reused).toBe(false);
    expect(k2.pid).not.toBe(k.pid);
    const a2 = admin(k2.brokers);
    await a2.connect();
    expect(await a2.listTopics()).toContain("survives-restart");
    await a2.disconnect();
    expect(await stopKafka(dataDir)).toBe(1);
    expect(alive(k2.pid)).toBe(false);
  });

  it("reports the broker's log when it cannot start", async () => {
    const port = await freePort();
    const dataDir = tempDir();
    // a JVM option that does not exist makes java exit at once
    await expect(startKafka({ port, dataDir, heap: ["-XX:+NoSuchOptionForMillrace"], readyTimeoutMs: 30_000 })).rejects.toThrow(/exited during startup[\s\S]*NoSuchOptionForMillrace/);
    expect(existsSync(join(dataDir, "kafka.pid"))).toBe(false);
  });

  it.skipIf(!process.env.MILLRACE_KAFKA_CLUSTER_TEST)("runs a 3-node cluster that survives losing one broker", async () => {
    const dataDir = tempDir();
    const t0 = Date.now();
    const cl = await startKafkaCluster({ dataDir, nodes: 3 });
    console.log(`[kafka test] 3-node cluster ready in ${Date.now() - t0} ms`);
    const kafka = new Kafka({ clientId: "cluster-test", brokers: cl.brokers.split(","), logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
    const a = kafka.admin();
    await a.connect();
    // under load (3 JVMs on 2 cores) a broker can be briefly fenced right after startup
    await waitFor(async () => (await a.describeCluster()).brokers.length === 3, 30_000, "3 live brokers");
    // kafkajs's waitForLeaders can ask a broker that has not seen the topic yet: poll instead
    await a.createTopics({ topics: [{ topic: "replicated", numPartitions: 3, replicationFactor: 3 }], waitForLeaders: false });
    await waitFor(async () => {
      const m = await a.fetchTopicMetadata({ topics: ["replicated"] }).catch(() => undefined);
      return m?.topics[0]?.partitions.length === 3 && m.topics[0].partitions.every((x) => x.leader >= 0 && x.isr.length === 3);
    }, 30_000, "replicated topic with 3 in-sync replicas");
    const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await p.connect();
    await p.send({ topic: "replicated", acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ key: String(i), value: `v${i}` })) });

    const t1 = Date.now();
    await cl.nodes[0].kill(); // crash one broker (and voter)
    const step = (s: string) => console.log(`[kafka test] +${Date.now() - t1} ms ${s}`);
    step("killed node 1");
    await p.send({ topic: "replicated", acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ key: String(i), value: `w${i}` })) });
    step("sent 30 more");
    // every record is there (at least once); count what a failover duplicated
    const values: string[] = [];
    const c = kafka.consumer({ groupId: "cluster-test-reader", maxWaitTimeInMs: 100 });
    await c.connect();
    step("consumer connected");
    await c.subscribe({ topics: ["replicated"], fromBeginning: true });
    await c.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
    const offs = await a.fetchTopicOffsets("replicated");
    const total = offs.reduce((s, o) => s + Number(o.high), 0);
    await waitFor(() => values.length >= total, 30_000, `${total} records`);
    await c.disconnect();
    const missing = [...Array.from({ length: 30 }, (_, i) => `v${i}`), ...Array.from({ length: 30 }, (_, i) => `w${i}`)].filter((v) => !values.includes(v));
    console.log(`[kafka test] read ${values.length} of ${total}; highs ${offs.map((o) => `${o.partition}:${o.high}`).join(",")}; missing ${missing.join(",") || "none"}; duplicates ${values.length - new Set(values).size}`);
    // NOT asserted: kafkajs 2.2.4 was seen to lose and duplicate records of a multi-partition
    // send across a leader failover (its retry skips brokers that already answered, even when
    // failed partitions moved to them). The engine must not rely on it: see the report.
    expect(values.length).toBeGreaterThanOrEqual(30);
    console.log(`[kafka test] kill + produce 30 more took ${Date.now() - t1} ms`);
    await p.disconnect();
    await a.disconnect();

    const t2 = Date.now();
    await cl.nodes[0].start();
    console.log(`[kafka test] node 1 back in ${Date.now() - t2} ms`);
    const a2 = kafka.admin();
    await a2.connect();
    await waitFor(async () => (await a2.describeCluster()).brokers.length === 3, 30_000, "3 live brokers again");
    await a2.disconnect();
    await cl.stop();
    for (const n of cl.nodes) expect(alive(n.pid)).toBe(false);
  });
});
