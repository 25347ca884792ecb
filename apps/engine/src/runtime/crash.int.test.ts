import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, freePort, testBrokers, waitFor } from "@millrace/testkit";
import { createKafka, type KafkaClient } from "../kafka/index.js";
import { flowDoc, readTopic, spawnEngine, uid, type EngineProcess } from "../../test-support/index.js";

const N = 100_000;

describe("(c) kill -9 the engine during a 100k-record run, then restart it", () => {
  const brokers = testBrokers();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let kafka: KafkaClient;
  const engines: EngineProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase("crash");
    kafka = createKafka({ brokers, clientId: uid("crash-test") });
  });
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.kill9();
  });
  afterAll(async () => {
    for (const e of engines.splice(0)) await e.kill9();
    await kafka?.close();
    await db?.drop();
  });

  async function produced(topic: string): Promise<number> {
    return (await kafka.topicEndOffsets(topic)).reduce((s, p) => s + p.high, 0);
  }

  async function run(exactlyOnce: boolean) {
    const id = uid(exactlyOnce ? "c-eo" : "c-alo");
    const sink = uid("crash-sink");
    const doc = flowDoc(
      id,
      [
        ["gen", "generate", { count: N, ratePerSec: 25_000, template: '{ "i": $i }' }],
        ["inc", "map", { expression: '{ "i": value.i, "next": value.i + 1 }' }],
        ["out", "kafka-sink", { topic: sink }],
      ],
      [["gen", "success", "inc"], ["inc", "success", "out"]],
    );
    const port = await freePort();
    const first = await spawnEngine({ port, databaseUrl: db.url, brokers });
    engines.push(first);
    await first.api.flows.save.mutate({ document: doc });
    await first.api.deployments.deploy.mutate({ flowId: id, exactlyOnce });

    // kill -9 mid-run
    await waitFor(async () => (await produced(sink).catch(() => 0)) >= 15_000, 60_000, "15k records in the sink");
    await first.kill9();
    const atKill = await produced(sink);
    expect(atKill).toBeLessThan(N); // the run really was interrupted

    const second = await spawnEngine({ port, databaseUrl: db.url, brokers });
    engines.push(second);
    const records = await readTopic(brokers, sink, (rs) => new Set(rs.map((r) => r.value.i)).size >= N, { timeoutMs: 150_000, settleMs: 3000 });
    const ids = records.map((r) => r.value.i as number);
    const distinct = new Set(ids);
    if (exactlyOnce && ids.length !== N) {
      // say where duplicates come from: same parent = the map stage ran twice; different parents = the source produced twice
      const byI = new Map<number, typeof records>();
      for (const r of records) byI.set(r.value.i, [...(byI.get(r.value.i) ?? []), r]);
      const dups = [...byI.values()].filter((rs) => rs.length > 1);
      const sameParent = dups.filter((rs) => rs[0]!.headers["mr.parents"] === rs[1]!.headers["mr.parents"]).length;
      console.error(`[crash test] ${dups.length} duplicated records (${sameParent} with the same parent); killed at ${atKill}; e.g. ${JSON.stringify(dups.slice(0, 2))}`);
    }
    expect(distinct.size).toBe(N); // nothing lost
    for (let i = 0; i < N; i += 997) expect(distinct.has(i)).toBe(true);
    expect(Math.min(...distinct)).toBe(0);
    expect(Math.max(...distinct)).toBe(N - 1);
    expect(records.every((r) => r.value.next === r.value.i + 1)).toBe(true);
    const status = await second.api.deployments.status.query({ flowId: id });
    expect(status.status).toBe("running");
    await second.api.deployments.stop.mutate({ flowId: id });
    return { count: ids.length, atKill };
  }

  it("at-least-once: every record arrives", async () => {
    const r = await run(false);
    expect(r.count).toBeGreaterThanOrEqual(N);
  });

  it("exactly-once: every record arrives exactly once (read_committed)", async () => {
    const r = await run(true);
    expect(r.count).toBe(N);
  });
});
