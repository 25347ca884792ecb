import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, freePort, testBrokers, waitFor } from "@millrace/testkit";
import { createKafka, type KafkaClient } from "../kafka/index.js";
import { flowDoc, readTopic, spawnEngine, uid, type EngineProcess } from "../../test-support/index.js";

const N = 60_000;

describe("(d) scale-out: two engines share a flow; one is killed", () => {
  const brokers = testBrokers();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const engines: EngineProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase("scale");
  });
  afterAll(async () => {
    for (const e of engines.splice(0)) await e.kill9();
    await db?.drop();
  });

  it("both engines work through the consumer groups; the source moves to the survivor within 15 s; every record arrives", async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const e1 = await spawnEngine({ port: p1, databaseUrl: db.url, brokers });
    engines.push(e1);
    const e2 = await spawnEngine({ port: p2, databaseUrl: db.url, brokers });
    engines.push(e2);

    const id = uid("d");
    const sink = uid("scale-sink");
    const doc = flowDoc(
      id,
      [
        ["gen", "generate", { count: N, ratePerSec: 5000, template: '{ "i": $i }' }],
        ["inc", "map", { expression: '{ "i": value.i, "sq": value.i * value.i }' }],
        ["out", "kafka-sink", { topic: sink }],
      ],
      [["gen", "success", "inc"], ["inc", "success", "out"]],
    );
    await e1.api.flows.save.mutate({ document: doc });
    await e1.api.deployments.deploy.mutate({ flowId: id });
    await waitFor(async () => (await e2.api.deployments.status.query({ flowId: id })).local.running, 15_000, "engine 2 to run the flow");

    // the map stage's partitions are shared: both engines count records in engine_stats
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await waitFor(async () => {
        const rows = (await c.query(`SELECT engine_id, stats FROM engine_stats WHERE flow_id = $1`, [id])).rows;
        return rows.filter((r) => r.stats.nodes.inc.in > 0).length === 2;
      }, 30_000, "both engines to process records of the map stage");
    } finally {
      await c.end();
    }

    // exactly one engine owns the generate source
    const owners = await Promise.all([e1, e2].map(async (e) => (await e.api.deployments.status.query({ flowId: id })).local.stages.find((s) => s.id === "gen")!.owner));
    expect(owners.filter(Boolean)).toHaveLength(1);
    const [owner, survivor] = owners[0] ? [e1, e2] : [e2, e1];

    const before = await survivor.api.stats.snapshot.query({ flowId: id });
    expect(before.engines).toBe(2);
    expect(before.nodes.gen.out).toBeLessThan(N); // still mid-run

    await owner.kill9();
    const killedAt = Date.now();
    await waitFor(async () => (await survivor.api.deployments.status.query({ flowId: id })).local.stages.find((s) => s.id === "gen")!.owner, 15_000, "the source to move");
    expect(Date.now() - killedAt).toBeLessThan(15_000);

    const records = await readTopic(brokers, sink, (rs) => new Set(rs.map((r) => r.value.i)).size >= N, { timeoutMs: 120_000, settleMs: 1000 });
    const distinct = new Set(records.map((r) => r.value.i as number));
    expect(distinct.size).toBe(N);
    expect(records.every((r) => r.value.sq === r.value.i * r.value.i)).toBe(true);
    await survivor.api.deployments.stop.mutate({ flowId: id });
  });
});

const GENERATED = 120_000;

describe("scale-out without duplicates: source → map → kafka-sink at-least-once while engines join and leave", () => {
  const brokers = testBrokers();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let kafka: KafkaClient;
  const engines: EngineProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase("scale-dup");
    kafka = createKafka({ brokers, clientId: uid("scale-dup-feed") });
  });
  afterAll(async () => {
    for (const e of engines.splice(0)) await e.kill9();
    await kafka?.close();
    await db?.drop();
  });

  /**
   * Writes `{ i }` records, i = 0, 1, 2, …, to `topic` at about `perSecond` until stopped;
   * `stop()` resolves with how many were written.
   */
  function feed(topic: string, perSecond: number) {
    const producer = kafka.producer({});
    let stopped = false;
    let written = 0;
    const chunk = perSecond / 10;
    const running = (async () => {
      await producer.connect();
      try {
        while (!stopped) {
          const t0 = Date.now();
          const messages = Array.from({ length: chunk }, (_, k) => ({ value: JSON.stringify({ i: written + k }) }));
          await producer.send(topic, messages);
          written += chunk;
          await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - t0))));
        }
      } finally {
        await producer.disconnect().catch(() => {});
      }
      return written;
    })();
    return { written: () => written, stop: () => ((stopped = true), running) };
  }

  /** Records in `topic` (end offsets): how far the flow got. */
  async function written(topic: string): Promise<number> {
    return (await kafka.topicEndOffsets(topic).catch(() => [])).reduce((sum, p) => sum + p.high, 0);
  }

  /**
   * Deploys `source` → map → kafka-sink at-least-once on a first engine; once records flow, a
   * second engine joins, both work on every consumer stage, then the first one is ended with
   * `end` while records keep flowing. A kafka-source is fed by the test (until stopped), a
   * generate source makes GENERATED records (its lease moves to the second engine).
   */
  async function run(source: "kafka-source" | "generate", end: (e: EngineProcess) => Promise<void>) {
    const id = uid("dup");
    const input = uid("dup-in");
    const sink = uid("dup-sink");
    const e1 = await spawnEngine({ port: await freePort(), databaseUrl: db.url, brokers });
    engines.push(e1);
    let feeder: ReturnType<typeof feed> | undefined;
    if (source === "kafka-source") await kafka.ensureTopics([{ topic: input, partitions: 4 }]);
    const doc = flowDoc(
      id,
      [
        source === "kafka-source" ? ["src", "kafka-source", { topic: input, fromBeginning: true }] : ["src", "generate", { count: GENERATED, ratePerSec: 5000, template: '{ "i": $i }' }],
        ["inc", "map", { expression: '{ "i": value.i, "sq": value.i * value.i }' }],
        ["out", "kafka-sink", { topic: sink }],
      ],
      [["src", "success", "inc"], ["inc", "success", "out"]],
    );
    await e1.api.flows.save.mutate({ document: doc });
    await e1.api.deployments.deploy.mutate({ flowId: id });
    await waitFor(async () => (await e1.api.deployments.status.query({ flowId: id })).local.running, 15_000, "engine 1 to run the flow");
    if (source === "kafka-source") feeder = feed(input, 5000);
    try {
      await waitFor(async () => (await written(sink)) > 0, 30_000, "records through engine 1");
      const e2 = await spawnEngine({ port: await freePort(), databaseUrl: db.url, brokers });
      engines.push(e2);
      await waitFor(async () => (await e2.api.deployments.status.query({ flowId: id })).local.running, 15_000, "engine 2 to run the flow");
      // both engines process records of every consumer stage: each stage's group rebalanced while records flowed
      const shared = source === "kafka-source" ? ["src", "inc", "out"] : ["inc", "out"];
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        await waitFor(async () => {
          const rows = (await c.query(`SELECT stats FROM engine_stats WHERE flow_id = $1`, [id])).rows;
          return rows.length === 2 && rows.every((r) => shared.every((n) => (r.stats.nodes[n]?.in ?? 0) + (r.stats.nodes[n]?.out ?? 0) > 0));
        }, 45_000, "both engines to process records of every consumer stage");
      } finally {
        await c.end();
      }
      const joined = await written(sink);
      await waitFor(async () => (await written(sink)) >= joined + 10_000, 30_000, "records through both engines");
      await end(e1);
      // records keep flowing while the survivor takes the partitions (and the source) over
      const ended = await written(sink);
      if (source === "generate") expect(ended).toBeLessThan(GENERATED - 10_000);
      await waitFor(async () => (await written(sink)) >= ended + 10_000, 60_000, "records through the survivor");
    } finally {
      await feeder?.stop();
    }
    const n = feeder ? feeder.written() : GENERATED;
    const records = await readTopic(brokers, sink, (rs) => new Set(rs.map((r) => r.value.i)).size >= n, { timeoutMs: 120_000, settleMs: 3000 });
    const survivor = engines.at(-1)!;
    await survivor.api.deployments.stop.mutate({ flowId: id });
    await survivor.stop();
    const distinct = new Set(records.map((r) => r.value.i as number));
    expect(distinct.size).toBe(n); // nothing lost
    expect(records.every((r) => r.value.sq === r.value.i * r.value.i)).toBe(true);
    console.info(`[scale-out] ${source}: ${n} records, ${records.length - distinct.size} duplicates`);
    return { n, duplicates: records.length - distinct.size };
  }

  it("kafka-source: an engine joining and another leaving with SIGTERM: every record arrives exactly once", async () => {
    const { duplicates } = await run("kafka-source", (e) => e.stop());
    expect(duplicates).toBe(0);
  });

  it("generate: an engine joining and the source's engine leaving with SIGTERM (the lease moves): every record arrives exactly once", async () => {
    const { duplicates } = await run("generate", (e) => e.stop());
    expect(duplicates).toBe(0);
  });

  it("kafka-source: an engine joining and another killed (-9): nothing lost; duplicates at most what was in flight", async () => {
    const { n, duplicates } = await run("kafka-source", (e) => e.kill9());
    // in flight: up to two batches per partition of each stage, and the ≤100 ms of uncommitted offsets
    expect(duplicates).toBeLessThan(Math.max(10_000, n / 10));
  });
});

describe("http ingress with two engines", () => {
  const brokers = testBrokers();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const engines: EngineProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase("ingress");
  });
  afterAll(async () => {
    for (const e of engines.splice(0)) await e.stop();
    await db?.drop();
  });

  it("the engine holding the source accepts (202); the other answers 503 with Retry-After; an unknown path is not served", async () => {
    for (let i = 0; i < 2; i++) engines.push(await spawnEngine({ port: await freePort(), databaseUrl: db.url, brokers }));
    const [e1, e2] = engines as [EngineProcess, EngineProcess];
    const id = uid("ing");
    const sink = uid("ing-sink");
    const path = `/ingest-${id}`;
    await e1.api.flows.save.mutate({ document: flowDoc(id, [["in", "http-listen", { path }], ["out", "kafka-sink", { topic: sink }]], [["in", "success", "out"]]) });
    await e1.api.deployments.deploy.mutate({ flowId: id });
    const ownerOf = async () => {
      const owns = await Promise.all([e1, e2].map(async (e) => {
        const s = await e.api.deployments.status.query({ flowId: id });
        return s.local.running && Boolean(s.local.stages.find((st) => st.id === "in")?.owner);
      }));
      return owns;
    };
    await waitFor(async () => (await Promise.all([e1, e2].map(async (e) => (await e.api.deployments.status.query({ flowId: id })).local.running))).every(Boolean), 15_000, "both engines to run the flow");
    await waitFor(async () => (await ownerOf()).filter(Boolean).length === 1, 15_000, "one engine to hold the source");
    const owns = await ownerOf();
    const [owner, other] = owns[0] ? [e1, e2] : [e2, e1];

    const post = (e: EngineProcess, p: string) => fetch(e.url + p, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ order: 1 }) });
    const refused = await post(other, path);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect((await post(owner, path)).status).toBe(202);
    expect((await post(other, "/no-such-path")).status).toBe(404);
    const records = await readTopic(brokers, sink, (rs) => rs.length >= 1);
    expect(records.map((r) => r.value)).toEqual([{ order: 1 }]);
    await owner.api.deployments.stop.mutate({ flowId: id });
  });
});
