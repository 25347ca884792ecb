// Table and aggregate nodes on the real broker: rows per key from a stream (tombstones delete),
// re-keyed by an expression through a keyed topic, kept in lmdb per partition with a changelog,
// restored after a kill -9 on another engine process, answered by `tables.get` / `tables.scan`;
// counts by key exact through a kill -9 in exactly-once mode, never fewer at least once; windowed
// counts on Kafka timestamps with late records, the stream time kept through a restart.
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import kafkajs, { type Producer } from "kafkajs";
import { createTestDatabase, freePort, testBrokers, waitFor } from "@millrace/testkit";
// the spawned engines' MILLRACE_DATA is the repository's .millrace
import { flowDoc, range, readTopic, repoRoot, spawnEngine, uid, type EngineProcess } from "../../test-support/index.js";
import { runCli, runCliOk } from "../../test-support/cli-runner.js";

const { Kafka, logLevel } = kafkajs;
const TOTAL = 100_000;
const CUSTOMERS = 100;

describe("table and aggregate nodes", () => {
  const brokers = testBrokers();
  const kafka = new Kafka({ clientId: "tables-test", brokers, logLevel: logLevel.NOTHING });
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let engine: EngineProcess;
  let port: number;

  beforeAll(async () => {
    db = await createTestDatabase("tables");
    port = await freePort();
    engine = await spawnEngine({ port, databaseUrl: db.url, brokers });
  }, 120_000);

  afterAll(async () => {
    await engine?.stop();
    await db?.drop();
  }, 60_000);

  /** Makes `topics` with `partitions` partitions each and connects a producer to write them. */
  async function topicsWithProducer(partitions: number, ...topics: string[]): Promise<Producer> {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: partitions })), waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    return producer;
  }

  for (const exactlyOnce of [false, true]) {
    it(`keeps the latest row per key, re-keyed by an expression, and restores it after a kill -9 (${exactlyOnce ? "exactly-once" : "at-least-once"})`, async () => {
      const id = uid("table");
      const input = uid("orders");
      const producer = await topicsWithProducer(3, input);
      // 2,000 orders of 50 customers, without keys: the table groups them by customer (a customer's
      // orders share an input partition, so they keep their order; across partitions there is none)
      const send = (from: number, to: number) =>
        producer.send({ topic: input, messages: range(from, to).map((n) => ({ partition: (n % 50) % 3, value: JSON.stringify({ n, customer: `c${n % 50}` }) })) });
      await send(0, 2_000);
      await engine.api.flows.save.mutate({ document: flowDoc(id, [["in", "kafka-source", { topic: input, fromBeginning: true }], ["byCustomer", "table", { key: "value.customer" }]], [["in", "success", "byCustomer"]]) });
      await engine.api.deployments.deploy.mutate({ flowId: id, exactlyOnce });
      const row = async (key: string) => (await engine.api.tables.get.query({ flowId: id, nodeId: "byCustomer", key })).value as { n: number } | null;
      // every customer's last order is one of 1950…1999 (the partitions progress at their own pace: wait for all)
      const scan = await waitFor(
        async () => {
          const s = await engine.api.tables.scan.query({ flowId: id, nodeId: "byCustomer", limit: 1000 });
          return s.rows.length === 50 && s.rows.every((r) => (r.value as { n: number }).n >= 1950) ? s : undefined;
        },
        60_000,
        "every customer's latest order in the table",
      );
      expect((await row("c7"))?.n).toBe(1957);
      expect(scan.rows.find((r) => r.key === "c49")?.value).toEqual({ n: 1999, customer: "c49" });
      expect((await engine.api.tables.scan.query({ flowId: id, nodeId: "byCustomer", prefix: "c1" })).rows.map((r) => r.key)).toEqual(["c1", "c10", "c11", "c12", "c13", "c14", "c15", "c16", "c17", "c18", "c19"]);

      // kill -9, more orders meanwhile, a new engine process restores the tables from the changelog
      await engine.kill9();
      await send(2_000, 2_100);
      await producer.disconnect();
      engine = await spawnEngine({ port, databaseUrl: db.url, brokers });
      const after = await waitFor(
        async () => {
          const s = await engine.api.tables.scan.query({ flowId: id, nodeId: "byCustomer", limit: 1000 });
          return s.rows.length === 50 && s.rows.every((r) => (r.value as { n: number }).n >= 2050) ? s : undefined;
        },
        90_000,
        "every customer's order after the restart",
      );
      expect((await row("c7"))?.n).toBe(2057);
      for (const r of after.rows) expect((r.value as { n: number }).n % 50).toBe(Number(r.key.slice(1)));
      expect(Math.min(...after.rows.map((r) => (r.value as { n: number }).n))).toBe(2050);
      expect(await row("nobody")).toBeNull();
      // stopped for good: the local stores go (the changelog keeps the table)
      const stores = join(repoRoot, ".millrace", "state", id);
      expect(existsSync(stores)).toBe(true);
      await engine.api.deployments.stop.mutate({ flowId: id });
      await waitFor(() => !existsSync(join(stores, "byCustomer", "0")), 15_000, "the stopped flow's stores deleted");
    }, 240_000);
  }

  it("deletes a row on a null value and refuses a record without a key", async () => {
    const id = uid("table");
    const input = uid("profiles");
    const producer = await topicsWithProducer(2, input);
    await producer.send({ topic: input, messages: [{ key: "a", value: '{"v":1}' }, { key: "b", value: '{"v":2}' }, { key: "a", value: null }, { value: '{"v":3}' }] });
    await producer.disconnect();
    await engine.api.flows.save.mutate({ document: flowDoc(id, [["in", "kafka-source", { topic: input, fromBeginning: true }], ["t", "table", {}]], [["in", "success", "t"]]) });
    await engine.api.deployments.deploy.mutate({ flowId: id });
    await waitFor(async () => (await engine.api.stats.snapshot.query({ flowId: id })).nodes.t?.errors === 1, 60_000, "the keyless record failed");
    expect((await engine.api.tables.get.query({ flowId: id, nodeId: "t", key: "a" })).value).toBeNull();
    expect((await engine.api.tables.get.query({ flowId: id, nodeId: "t", key: "b" })).value).toEqual({ v: 2 });
    // the same through `millrace table get|scan`
    const cli = (...args: string[]) => runCliOk(args, { url: engine.url, token: engine.token });
    expect((await cli("table", "get", id, "t", "b")).stdout.trim()).toBe('{"v":2}');
    expect(JSON.parse((await cli("table", "get", id, "t", "b", "--json")).stdout)).toMatchObject({ key: "b", value: { v: 2 } });
    const missing = await runCli(["table", "get", id, "t", "a"], { url: engine.url, token: engine.token });
    expect({ code: missing.code, stdout: missing.stdout.trim() }).toEqual({ code: 1, stdout: 'no row "a"' });
    expect(JSON.parse((await cli("table", "scan", id, "t", "--json")).stdout)).toEqual({ rows: [{ key: "b", value: { v: 2 } }], truncated: false });
    // its input grows a partition: the table, built in 2, is not read in 3
    const grow = kafka.admin();
    await grow.connect();
    await grow.createPartitions({ topicPartitions: [{ topic: input, count: 3 }] });
    await grow.disconnect();
    await expect(engine.api.deployments.deploy.mutate({ flowId: id })).rejects.toThrow(/node "t" keeps its table in 2 partitions .* and would now read 3 \(topic "[^"]+" has 3\)/);
    await engine.api.deployments.stop.mutate({ flowId: id });
  }, 120_000);

  for (const exactlyOnce of [true, false]) {
    it(`aggregate counts ${TOTAL.toLocaleString()} records by customer through a kill -9 (${exactlyOnce ? "exactly-once: exact" : "at-least-once: never fewer"})`, async () => {
      const id = uid("count");
      const input = uid("orders");
      const producer = await topicsWithProducer(3, input);
      for (let i = 0; i < TOTAL; i += 5_000) await producer.send({ topic: input, messages: range(i, i + 5_000).map((n) => ({ partition: n % 3, value: JSON.stringify({ n, customer: `c${n % CUSTOMERS}` }) })) });
      await producer.disconnect();

      await engine.api.flows.save.mutate({ document: flowDoc(id, [["in", "kafka-source", { topic: input, fromBeginning: true }], ["counts", "aggregate", { groupBy: "value.customer", op: "count" }]], [["in", "success", "counts"]]) });
      await engine.api.deployments.deploy.mutate({ flowId: id, exactlyOnce });
      await waitFor(async () => ((await engine.api.stats.snapshot.query({ flowId: id })).nodes.counts?.in ?? 0) >= TOTAL / 5, 120_000, "a fifth counted before the kill");
      await engine.kill9();
      // the machine's disk is lost too: every table must come back from its changelog
      rmSync(join(repoRoot, ".millrace", "state", id), { recursive: true, force: true });
      engine = await spawnEngine({ port, databaseUrl: db.url, brokers });

      // every record counted (at-least-once may count some twice), and nothing moving any more
      let previous = "";
      const counts = await waitFor(
        async () => {
          const scan = await engine.api.tables.scan.query({ flowId: id, nodeId: "counts", limit: 1000 });
          const all = scan.rows.length === CUSTOMERS && scan.rows.every((r) => (r.value as number) >= TOTAL / CUSTOMERS);
          const now = JSON.stringify(scan.rows);
          const settled = all && now === previous;
          previous = now;
          if (!settled) await new Promise((r) => setTimeout(r, 1000));
          return settled ? scan.rows : undefined;
        },
        180_000,
        "every record counted",
      );
      for (const r of counts) {
        if (exactlyOnce) expect(r.value, r.key).toBe(TOTAL / CUSTOMERS);
        else expect(r.value as number, r.key).toBeGreaterThanOrEqual(TOTAL / CUSTOMERS);
      }
      expect((await engine.api.tables.get.query({ flowId: id, nodeId: "counts", key: "c42" })).value).toBe(exactlyOnce ? TOTAL / CUSTOMERS : (counts.find((r) => r.key === "c42")!.value as number));
      // The new engine restored the tables from the changelog, then read the input from the committed
      // offsets: restored counts plus a second reading from the start would not be exact. Every
      // partition's restore is reported, with its time.
      const restores = [...engine.output().matchAll(/node counts: table of partition (\d+) restored from \S+: (\d+) change\(s\), offsets \d+…\d+, in (\d+) ms/g)];
      expect(new Set(restores.map((m) => m[1])).size).toBe(3);
      expect(restores.reduce((n, m) => n + Number(m[2]), 0)).toBeGreaterThan(0);
      console.info(`restore after kill -9: ${restores.map((m) => `partition ${m[1]}: ${m[2]} changes in ${m[3]} ms`).join("; ")}`);
      await engine.api.deployments.stop.mutate({ flowId: id });
    }, 420_000);
  }

  it("counts per tumbling minute on the Kafka timestamps, grace 10 s: later records go to late, and stay late after a restart (stream time restored)", async () => {
    const id = uid("window");
    const input = uid("clicks");
    const counts = uid("per-minute");
    const late = uid("late");
    const producer = await topicsWithProducer(2, input, counts, late);
    // a minute boundary ten minutes ago: recent enough for any retention
    const W = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    /** both customers' records at these seconds after W, interleaved in one partition: each repartitioned partition sees the same stream time */
    const send = (seconds: number[]) =>
      producer.send({ topic: input, messages: seconds.flatMap((s) => ["c1", "c2"].map((customer) => ({ partition: 0, timestamp: String(W + s * 1000), value: JSON.stringify({ customer, s }) }))) });
    // 65 s opens the next minute; 55 s is still in the first one's grace (stream time 65 < 60 + 10); 75 s closes it: 30 s is late
    await send([5, 20, 50, 65, 55, 75, 30]);
    await engine.api.flows.save.mutate({
      document: flowDoc(
        id,
        [
          ["in", "kafka-source", { topic: input, fromBeginning: true }],
          ["perMinute", "aggregate", { groupBy: "value.customer", op: "count", window: { type: "tumbling", size: "1m", grace: "10s" } }],
          ["out", "kafka-sink", { topic: counts }],
          ["lateOut", "kafka-sink", { topic: late }],
        ],
        [["in", "success", "perMinute"], ["perMinute", "success", "out"], ["perMinute", "late", "lateOut"]],
      ),
    });
    await engine.api.deployments.deploy.mutate({ flowId: id, exactlyOnce: true });
    const minute = (r: { headers: Record<string, string> }) => (Date.parse(r.headers["mr.window.start"]!) - W) / 60_000;
    /** a customer's results as [minute, count], in order */
    const results = (rs: Awaited<ReturnType<typeof readTopic>>, customer: string) => rs.filter((r) => r.key === customer).map((r) => [minute(r), r.value as number]);
    const first = await readTopic(brokers, counts, (r) => r.length >= 12);
    for (const customer of ["c1", "c2"]) expect(results(first, customer), customer).toEqual([[0, 1], [0, 2], [0, 3], [1, 1], [0, 4], [1, 2]]);
    const r0 = first.find((r) => r.key === "c1" && minute(r) === 0)!;
    expect(r0.headers["mr.window.start"]).toBe(new Date(W).toISOString());
    expect(r0.headers["mr.window.end"]).toBe(new Date(W + 60_000).toISOString());
    const lateFirst = await readTopic(brokers, late, (r) => r.length >= 2);
    expect(lateFirst.map((r) => [r.value.customer, r.value.s]).sort()).toEqual([["c1", 30], ["c2", 30]]);
    // the table holds each customer's open windows; the stream time beside them is no row
    const scan = await engine.api.tables.scan.query({ flowId: id, nodeId: "perMinute" });
    expect(scan.rows.map((r) => r.key)).toEqual(["c1", "c2"]);
    expect(scan.rows[0]!.value).toEqual([{ start: W + 60_000, end: W + 120_000, state: 2 }]);

    // a restart: the stream time (75 s) comes back with the table, so 40 s is still late; 80 s counts in the second minute
    await engine.kill9();
    engine = await spawnEngine({ port, databaseUrl: db.url, brokers });
    await send([40, 80]);
    const after = await readTopic(brokers, counts, (r) => r.length >= 14);
    for (const customer of ["c1", "c2"]) expect(results(after, customer).at(-1), customer).toEqual([1, 3]);
    expect(after).toHaveLength(14);
    const lateAfter = await readTopic(brokers, late, (r) => r.length >= 4);
    expect(lateAfter.map((r) => [r.value.customer, r.value.s]).sort()).toEqual([["c1", 30], ["c1", 40], ["c2", 30], ["c2", 40]]);
    await producer.disconnect();
    await engine.api.deployments.stop.mutate({ flowId: id });
  }, 240_000);

  it("counts exactly at-least-once without a crash, a partition's batches overlapping (each reads the one still being written)", async () => {
    const id = uid("countal");
    const input = uid("clicks");
    const producer = await topicsWithProducer(2, input);
    await engine.api.flows.save.mutate({ document: flowDoc(id, [["in", "kafka-source", { topic: input, fromBeginning: true }], ["counts", "aggregate", { op: "count" }]], [["in", "success", "counts"]]) });
    await engine.api.deployments.deploy.mutate({ flowId: id });
    const total = 30_000;
    // few keys, sent while the flow runs, so a partition comes in many small batches, most reading keys the one before changed
    await producer.send({ topic: input, messages: [{ key: "k0", value: "1" }] });
    await waitFor(async () => ((await engine.api.stats.snapshot.query({ flowId: id })).nodes.counts?.in ?? 0) >= 1, 60_000, "the flow running");
    for (let i = 1; i < total; i += 100) await producer.send({ topic: input, acks: 1, messages: range(i, Math.min(total, i + 100)).map((n) => ({ key: `k${n % 10}`, value: "1" })) });
    await producer.disconnect();
    await waitFor(async () => ((await engine.api.stats.snapshot.query({ flowId: id })).nodes.counts?.in ?? 0) >= total, 120_000, "every record taken in");
    // the stats count a batch before its table changes are committed: wait for the last commit
    const rows = await waitFor(
      async () => {
        const scan = await engine.api.tables.scan.query({ flowId: id, nodeId: "counts" });
        return scan.rows.reduce((s, r) => s + (r.value as number), 0) >= total ? scan.rows : undefined;
      },
      5_000,
      "every record counted",
    ).catch(async () => (await engine.api.tables.scan.query({ flowId: id, nodeId: "counts" })).rows);
    expect(Object.fromEntries(rows.map((r) => [r.key, r.value]))).toEqual(Object.fromEntries(range(0, 10).map((k) => [`k${k}`, total / 10])));
    await engine.api.deployments.stop.mutate({ flowId: id });
  }, 180_000);

  it("joins orders with customers from a table of the same flow, a customer updated mid-stream included", async () => {
    const id = uid("join");
    const customers = uid("customers");
    const orders = uid("orders");
    const output = uid("enriched");
    const producer = await topicsWithProducer(2, customers, orders, output);
    await producer.send({ topic: customers, messages: range(1, 6).map((n) => ({ key: `c${n}`, value: JSON.stringify({ name: `customer ${n}` }) })) });
    await engine.api.flows.save.mutate({
      document: flowDoc(
        id,
        [
          ["cust", "kafka-source", { topic: customers, fromBeginning: true }],
          ["customers", "table", {}],
          ["ord", "kafka-source", { topic: orders, fromBeginning: true }],
          ["enrich", "join", { table: "customers", key: "value.customer", type: "left", merge: '$merge([value, { "name": table.name }])' }],
          ["out", "kafka-sink", { topic: output }],
        ],
        [["cust", "success", "customers"], ["ord", "success", "enrich"], ["enrich", "success", "out"]],
      ),
    });
    await engine.api.deployments.deploy.mutate({ flowId: id });
    await waitFor(async () => (await engine.api.tables.scan.query({ flowId: id, nodeId: "customers" })).rows.length === 5, 60_000, "the customers table");
    await producer.send({ topic: orders, messages: [...range(1, 6).map((n) => ({ value: JSON.stringify({ order: n, customer: `c${n}` }) })), { value: JSON.stringify({ order: 9, customer: "c9" }) }] });
    const first = await readTopic(brokers, output, (r) => r.length >= 6);
    const byOrder = new Map(first.map((r) => [(r.value as { order: number }).order, r.value as { name: string | null }]));
    expect(byOrder.get(3)!.name).toBe("customer 3");
    // a left join goes on without a row: table is null, so merge adds no name
    expect(byOrder.get(9)).toEqual({ order: 9, customer: "c9" });
    // c1 moves: later orders of c1 carry the new name
    await producer.send({ topic: customers, messages: [{ key: "c1", value: JSON.stringify({ name: "customer one, renamed" }) }] });
    await waitFor(async () => ((await engine.api.tables.get.query({ flowId: id, nodeId: "customers", key: "c1" })).value as { name: string } | null)?.name === "customer one, renamed", 30_000, "c1 renamed in the table");
    const renamed = await waitFor(
      async () => {
        await producer.send({ topic: orders, messages: [{ value: JSON.stringify({ order: 100, customer: "c1" }) }] });
        const all = await readTopic(brokers, output, (r) => r.length >= 7, { settleMs: 500 });
        return all.find((r) => (r.value as { order: number; name: string }).order === 100 && (r.value as { name: string }).name === "customer one, renamed");
      },
      60_000,
      "an order of c1 joined with the new name",
    );
    expect(renamed).toBeDefined();
    await producer.disconnect();
    await engine.api.deployments.stop.mutate({ flowId: id });
  }, 180_000);

  it("counts exactly in exactly-once mode with two engines when one is killed -9 (the other restores its partitions' tables)", async () => {
    const id = uid("count2");
    const input = uid("orders");
    const producer = await topicsWithProducer(4, input);
    const total = 40_000;
    // keyed by customer (Kafka's default partitioner): the aggregate counts by the record key, reading the topic directly
    for (let i = 0; i < total; i += 5_000) await producer.send({ topic: input, messages: range(i, i + 5_000).map((n) => ({ key: `c${n % CUSTOMERS}`, value: JSON.stringify({ n }) })) });
    await producer.disconnect();
    const second = await spawnEngine({ port: await freePort(), databaseUrl: db.url, brokers });
    try {
      await engine.api.flows.save.mutate({ document: flowDoc(id, [["in", "kafka-source", { topic: input, fromBeginning: true }], ["counts", "aggregate", { op: "count" }]], [["in", "success", "counts"]]) });
      await engine.api.deployments.deploy.mutate({ flowId: id, exactlyOnce: true });
      await waitFor(async () => ((await engine.api.stats.snapshot.query({ flowId: id })).nodes.counts?.in ?? 0) >= total / 5, 120_000, "a fifth counted before the kill");
      await second.kill9();
      const counts = await waitFor(
        async () => {
          const scan = await engine.api.tables.scan.query({ flowId: id, nodeId: "counts", limit: 1000 });
          return scan.rows.length === CUSTOMERS && scan.rows.reduce((s, r) => s + (r.value as number), 0) >= total ? scan.rows : undefined;
        },
        180_000,
        "every record counted by the surviving engine",
      );
      for (const r of counts) expect(r.value, r.key).toBe(total / CUSTOMERS);
      // one stage, no edge topic: the table is partitioned like the input topic (4, where the planner's default is 3)
      const { plan } = await engine.api.deployments.status.query({ flowId: id });
      expect(plan?.stages.map((s) => s.nodes)).toEqual([["in", "counts"]]);
      expect((await engine.api.tables.get.query({ flowId: id, nodeId: "counts", key: "c7" })).value).toBe(total / CUSTOMERS);
      await engine.api.deployments.stop.mutate({ flowId: id });
    } finally {
      await second.kill9();
    }
  }, 300_000);
});
