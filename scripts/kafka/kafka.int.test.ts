// Tests of the project's own Kafka scripts: a second broker on a free port in a temp dir.
// startKafkaCluster (3 nodes, one killed and started again) is exercised by the engine's
// apps/engine/src/runtime/broker-failover.int.test.ts, which runs flows on it.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import kafkajs from "kafkajs";
import { freePort } from "../../packages/testkit/src/index.js";
import { ensureKafkaJars, startKafka, stopKafka, kafkaJarDir } from "./index.mjs";

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
});
