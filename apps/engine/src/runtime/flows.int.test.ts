import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@millrace/testkit";
import { HEADER } from "@millrace/processors";
import { flowDoc, range, readTopic, sortNum, uid, adminToken } from "../../test-support/index.js";
import { startTestEngine, type TestEngine } from "../../test-support/engine-harness.js";
import { runCliOk } from "../../test-support/cli-runner.js";

describe("deployed flows on real Kafka and Postgres", () => {
  let t: TestEngine;

  beforeAll(async () => {
    t = await startTestEngine("rt");
  });
  afterAll(async () => {
    await t?.close();
  });

  async function deploy(doc: ReturnType<typeof flowDoc>, exactlyOnce = false) {
    await t.api.flows.save({ document: doc });
    t.deployed.push(doc.id);
    return t.api.deployments.deploy({ flowId: doc.id, exactlyOnce });
  }

  it("(a) generate → filter → map → kafka-sink: the sink topic holds exactly the expected records", async () => {
    const id = uid("a");
    const sink = uid("sink-a");
    const doc = flowDoc(
      id,
      [
        ["gen", "generate", { count: 100, template: '{ "id": $i, "amount": $i * 3 }' }],
        ["keep", "filter", { expression: "value.amount % 2 = 0" }],
        ["shape", "map", { expression: '{ "id": value.id, "double": value.amount * 2, "tag": "#{tag}" }' }],
        ["out", "kafka-sink", { topic: sink }],
      ],
      [["gen", "success", "keep"], ["keep", "success", "shape"], ["shape", "success", "out"]],
      [{ name: "tag", value: "even", sensitive: false }],
    );
    await t.api.flows.save({ document: doc });
    const plan = await t.api.deployments.plan({ flowId: id });
    // the sink runs in shape's stage and writes its topic itself (a direct edge)
    expect(plan.plan.stages.map((s: any) => s.id)).toEqual(["gen", "keep", "shape"]);
    expect(plan.plan.topics.map((topic: any) => topic.name)).toContain(`mr.${id}.keep.success`);

    const status = await deploy(doc);
    expect(status.status).toBe("running");
    expect(status.version).toBe(1);

    const records = await readTopic(t.brokers, sink, (r) => r.length >= 50);
    const expected = range(0, 100, 2).map((i) => ({ id: i, double: i * 3 * 2, tag: "even" }));
    expect(records.map((r) => r.value).sort((x, y) => x.id - y.id)).toEqual(expected);
    for (const r of records) {
      expect(r.headers[HEADER.id]).toBeTruthy();
      expect(r.headers[HEADER.parents]).toBeTruthy(); // map derived a new record from the filter's
    }

    const stats = await waitFor(async () => {
      const s = await t.api.stats.snapshot({ flowId: id });
      return s.nodes.out.in === 50 ? s : undefined;
    }, 15_000, "stats");
    expect(stats.nodes.gen.out).toBe(100);
    expect(stats.nodes.keep).toMatchObject({ in: 100, out: 50, errors: 0 });
    expect(stats.nodes.shape).toMatchObject({ in: 50, out: 50 });
    expect(stats.nodes.keep.bytesIn).toBeGreaterThan(0);
    expect(stats.edges["keep.success->shape"]).toMatchObject({ records: 50, mode: "durable", topic: `mr.${id}.keep.success` });
    expect(stats.edges["gen.success->keep"].records).toBe(100);
    await waitFor(async () => (await t.api.stats.snapshot({ flowId: id })).edges["shape.success->out"].queue === 0, 15_000, "queues drained");

    const stopped = await t.api.deployments.stop({ flowId: id });
    expect(stopped.status).toBe("stopped");
    expect(stopped.local.running).toBe(false);
  });

  it("(b) route with three routes and unmatched, some edges fused: each sink holds exactly its records", async () => {
    const id = uid("b");
    const sinks = { low: uid("low"), mid: uid("mid"), high: uid("high"), rest: uid("rest") };
    const doc = flowDoc(
      id,
      [
        ["gen", "generate", { count: 60, template: '{ "n": $i }' }],
        ["r", "route", { routes: [{ name: "low", expression: "value.n < 10" }, { name: "mid", expression: "value.n < 30" }, { name: "high", expression: "value.n < 50" }] }],
        ["sLow", "kafka-sink", { topic: sinks.low }],
        ["sMid", "kafka-sink", { topic: sinks.mid }],
        ["sHigh", "kafka-sink", { topic: sinks.high }],
        ["sRest", "kafka-sink", { topic: sinks.rest }],
      ],
      [["gen", "success", "r"], ["r", "low", "sLow", "fused"], ["r", "mid", "sMid"], ["r", "high", "sHigh", "fused"], ["r", "unmatched", "sRest"]],
    );
    const status = await deploy(doc);
    // fused, and direct into the sinks of the ports with one durable edge
    expect(status.plan.stages.find((s: any) => s.id === "r").nodes).toEqual(["r", "sLow", "sMid", "sHigh", "sRest"]);
    const [low, mid, high, rest] = await Promise.all([
      readTopic(t.brokers, sinks.low, (r) => r.length >= 10),
      readTopic(t.brokers, sinks.mid, (r) => r.length >= 20),
      readTopic(t.brokers, sinks.high, (r) => r.length >= 20),
      readTopic(t.brokers, sinks.rest, (r) => r.length >= 10),
    ]);
    const ns = (rs: { value: { n: number } }[]) => rs.map((r) => r.value.n).sort(sortNum);
    expect(ns(low)).toEqual(range(0, 10));
    expect(ns(mid)).toEqual(range(10, 30));
    expect(ns(high)).toEqual(range(30, 50));
    expect(ns(rest)).toEqual(range(50, 60));
  });

  it("(e) a poison record goes to the dead-letter topic (failure unconnected) or to failure (connected) while the rest flows", async () => {
    const id = uid("e");
    const sink = uid("good");
    const failures = uid("bad");
    const doc = flowDoc(
      id,
      [
        ["gen", "generate", { count: 30, template: '{ "n": $i, "amount": $i = 7 ? "poison" : $i }' }],
        ["big", "filter", { expression: "value.amount > 5" }],
        ["calc", "map", { expression: '{ "n": value.n, "ratio": 100 / (value.n = 20 ? "zero" : value.n) }' }],
        ["out", "kafka-sink", { topic: sink }],
        ["bad", "kafka-sink", { topic: failures }],
      ],
      [["gen", "success", "big"], ["big", "success", "calc"], ["calc", "success", "out"], ["calc", "failure", "bad", "fused"]],
    );
    await deploy(doc);
    const good = await readTopic(t.brokers, sink, (r) => r.length >= 21);
    expect(good.map((r) => r.value.n).sort(sortNum)).toEqual(range(6, 30).filter((n) => n !== 7 && n !== 20));
    expect(good.find((r) => r.value.n === 10)!.value.ratio).toBe(10);

    const dlq = await readTopic(t.brokers, `mr-dlq.${id}`, (r) => r.length >= 1);
    expect(dlq.map((r) => r.value)).toEqual([{ n: 7, amount: "poison" }]);
    expect(dlq[0]!.headers[HEADER.errorNode]).toBe("big");
    expect(dlq[0]!.headers[HEADER.error]).toBeTruthy();

    const bad = await readTopic(t.brokers, failures, (r) => r.length >= 1);
    expect(bad.map((r) => r.value)).toEqual([{ n: 20, amount: 20 }]);
    expect(bad[0]!.headers[HEADER.errorNode]).toBe("calc");

    const stats = await waitFor(async () => {
      const s = await t.api.stats.snapshot({ flowId: id });
      return s.nodes.calc.in === 23 && s.nodes.big.in === 30 ? s : undefined;
    }, 15_000, "stats");
    expect(stats.nodes.big.errors).toBe(1);
    expect(stats.nodes.big.lastError).toBeTruthy();
    expect(stats.nodes.calc.errors).toBe(1);
  });

  it("a record too large for Kafka goes to the dead-letter topic, saying so, while the rest flows", async () => {
    const id = uid("big");
    const sink = uid("big-out");
    const doc = flowDoc(
      id,
      [
        ["gen", "generate", { count: 5, template: '$i = 2 ? { "n": $i, "blob": $pad("", 1200000, "x") } : { "n": $i }' }],
        ["out", "kafka-sink", { topic: sink }],
      ],
      [["gen", "success", "out"]],
    );
    await deploy(doc);
    const good = await readTopic(t.brokers, sink, (r) => r.length >= 4);
    expect(good.map((r) => r.value.n).sort(sortNum)).toEqual([0, 1, 3, 4]);
    const dlq = await readTopic(t.brokers, `mr-dlq.${id}`, (r) => r.length >= 1);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]!.value).toMatchObject({ tooLarge: true, start: expect.stringContaining('"n":2') });
    expect(dlq[0]!.value.bytes).toBeGreaterThan(1_200_000);
    expect(dlq[0]!.headers[HEADER.error]).toMatch(/more than the 1000000-byte limit/);
    // the sink runs in gen's stage (a direct edge) and is the node that writes the record to Kafka
    expect(dlq[0]!.headers[HEADER.errorNode]).toBe("out");
  });

  it("http-listen: the engine serves the path; posted bodies become records", async () => {
    const id = uid("http");
    const sink = uid("http-sink");
    const path = `/ingest-${id}`;
    await deploy(flowDoc(id, [["in", "http-listen", { path }], ["out", "kafka-sink", { topic: sink }]], [["in", "success", "out"]]));
    await waitFor(async () => (await t.api.deployments.status({ flowId: id })).local.stages.find((s: any) => s.id === "in").owner, 15_000, "the source to start");
    for (const body of [{ order: 1 }, { order: 2 }, "plain text"]) {
      const r = await fetch(t.engine.url + path, { method: "POST", headers: { "content-type": typeof body === "string" ? "text/plain" : "application/json", "x-trace": "t1" }, body: typeof body === "string" ? body : JSON.stringify(body) });
      expect(r.status).toBe(202);
    }
    expect((await fetch(t.engine.url + "/no-such-path", { method: "POST", body: "{}" })).status).toBe(404);
    const records = await readTopic(t.brokers, sink, (rs) => rs.length >= 3);
    expect(records).toHaveLength(3); // partitions may interleave them: compare as a set
    expect(records.map((r) => JSON.stringify(r.value)).sort()).toEqual(['"plain text"', '{"order":1}', '{"order":2}']);
    expect(records.every((r) => r.headers["http.x-trace"] === "t1" && r.headers["http.method"] === "POST")).toBe(true);
  });

  it("(f) postgres-sink writes the rows", async () => {
    const id = uid("f");
    const c = new pg.Client({ connectionString: t.databaseUrl });
    await c.connect();
    try {
      await c.query(`CREATE TABLE orders (id INT PRIMARY KEY, amount NUMERIC NOT NULL, payload JSONB)`);
      const doc = flowDoc(
        id,
        [
          ["gen", "generate", { count: 25, template: '{ "id": $i, "amount": $i * 1.5, "who": "u" & $string($i % 3) }' }],
          ["rows", "postgres-sink", { connectionString: "#{t.databaseUrl}", table: "orders", mode: "upsert", keyColumns: ["id"], columns: { id: "value.id", amount: "value.amount", payload: "value" } }],
        ],
        [["gen", "success", "rows"]],
        [{ name: "t.databaseUrl", value: t.databaseUrl, sensitive: true }],
      );
      await deploy(doc);
      // the plan carries the substituted connection string; what the API returns does not
      expect(JSON.stringify(await t.api.deployments.status({ flowId: id }))).not.toContain(t.databaseUrl);
      expect(JSON.stringify(await t.api.deployments.plan({ flowId: id }))).not.toContain(t.databaseUrl);
      await waitFor(async () => Number((await c.query("SELECT count(*) AS n FROM orders")).rows[0].n) >= 25, 30_000, "rows");
      const rows = (await c.query("SELECT id, amount::float AS amount, payload FROM orders ORDER BY id")).rows;
      expect(rows).toEqual(range(0, 25).map((i) => ({ id: i, amount: i * 1.5, payload: { id: i, amount: i * 1.5, who: `u${i % 3}` } })));
    } finally {
      await c.end();
    }
  });
});

describe("CLI: deploy, stats --json, stop", () => {
  it("drives a deployment through `millrace`", async () => {
    const { engine, close } = await startTestEngine("cli");
    const target = { url: engine.url, token: await adminToken(engine.services) };
    const cli = (...args: string[]) => runCliOk(args, target);
    try {
      const id = uid("cli");
      await engine.services.repositories.flows.save(flowDoc(id, [["gen", "generate", { count: 7, template: '{ "i": $i }' }], ["m", "map", { expression: "value" }]], [["gen", "success", "m"]]));
      const deployed = await cli("deploy", id, "--json");
      expect(JSON.parse(deployed.stdout)).toMatchObject({ flowId: id, status: "running", version: 1, exactlyOnce: false });
      const stats = await waitFor(async () => {
        const s = JSON.parse((await cli("stats", id, "--json")).stdout);
        return s.nodes.m.in === 7 ? s : undefined;
      }, 20_000, "stats via the CLI");
      expect(stats.nodes.gen.out).toBe(7);
      expect(stats.edges["gen.success->m"].records).toBe(7);
      const table = await cli("stats", id);
      expect(table.stdout).toMatch(/NODE\s+IN\s+OUT/);
      const stopped = await cli("stop", id);
      expect(stopped.stdout.trim()).toBe(`${id}: stopped`);
    } finally {
      await close();
    }
  });
});
