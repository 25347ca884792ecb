import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@millrace/testkit";
import { HEADER } from "@millrace/processors";
import type { ExecutionPlan } from "../planner/index.js";
import { flowDoc, range, readTopic, uid } from "../../test-support/index.js";
import { startTestEngine, type TestEngine } from "../../test-support/engine-harness.js";

/**
 * Direct edges on real Kafka and Postgres: kafka-source → filter → map → kafka-sink runs as two
 * stages (the filter reads the source's topic, the map's stage writes the sink's topic), and the
 * edges without a topic of their own still have taps, figures and lineage. A deployment stored in
 * the older shape (a topic on every edge) keeps running, and redeploying it loses nothing left in
 * the topics the new shape no longer writes.
 */
describe("direct edges: no copy hops", () => {
  let t: TestEngine;

  beforeAll(async () => {
    t = await startTestEngine("direct");
  });
  afterAll(async () => {
    await t?.close();
  });

  function b1(id: string, input: string, sink: string) {
    return flowDoc(
      id,
      [
        ["src", "kafka-source", { topic: input, fromBeginning: true, principalHeader: "x-user" }],
        ["keep", "filter", { expression: "value.n % 2 = 0" }],
        ["shape", "map", { expression: '{ "n": value.n, "sq": value.n * value.n }' }],
        ["out", "kafka-sink", { topic: sink }],
      ],
      [["src", "success", "keep"], ["keep", "success", "shape"], ["shape", "success", "out"]],
    );
  }

  async function send(topic: string, values: unknown[], headers: Record<string, string> = {}): Promise<void> {
    const producer = t.kafka.producer({});
    await producer.connect();
    try {
      await producer.send(
        topic,
        values.map((v) => ({ value: JSON.stringify(v), headers })),
      );
    } finally {
      await producer.disconnect().catch(() => {});
    }
  }

  const total = async (topic: string) => (await t.kafka.topicEndOffsets(topic)).reduce((s, p) => s + p.high, 0);

  it("two stages, one edge topic; the records, taps, figures and lineage of both direct edges", async () => {
    const id = uid("direct");
    const input = uid("direct-in");
    const sink = uid("direct-out");
    await t.kafka.ensureTopics([{ topic: input, partitions: 2 }]);
    await send(input, range(0, 40).map((n) => ({ n })), { "x-user": "carol" });
    await t.api.flows.save({ document: b1(id, input, sink) });
    t.deployed.push(id);
    const status = await t.api.deployments.deploy({ flowId: id });
    const plan = status.plan as ExecutionPlan;
    expect(plan.stages.map((s) => [s.id, s.nodes, s.inputs])).toEqual([
      ["src", ["src", "keep"], [input, `mr.${id}.src.replay`]],
      ["shape", ["shape", "out"], [`mr.${id}.keep.success`, `mr.${id}.shape.replay`]],
    ]);

    const out = await readTopic(t.brokers, sink, (r) => r.length >= 20, { settleMs: 500 });
    expect(out.map((r) => r.value.n).sort((a, b) => a - b)).toEqual(range(0, 40, 2));
    for (const r of out) expect(r.headers).toMatchObject({ [HEADER.principal]: "carol", [HEADER.auth]: "kafka-header" });
    // two Kafka hops: the input is read where it is, one edge topic, the sink's topic written once
    const topics = await t.kafka.listTopics();
    expect(topics).not.toContain(`mr.${id}.src.success`);
    expect(topics).not.toContain(`mr.${id}.shape.success`);
    expect(await total(`mr.${id}.keep.success`)).toBe(20);

    // figures: records over each edge; the direct input edge's queue is the stage group's lag on the input topic
    const stats = await waitFor(async () => {
      const s = await t.api.stats.snapshot({ flowId: id });
      return s.edges["shape.success->out"].records === 20 && s.edges["src.success->keep"].queue === 0 ? s : undefined;
    }, 20_000, "figures");
    expect(stats.edges["src.success->keep"]).toMatchObject({ records: 40, mode: "durable", topic: input });
    expect(stats.edges["shape.success->out"]).toMatchObject({ records: 20, mode: "durable", topic: sink, queue: 0 });
    expect(stats.nodes.src).toMatchObject({ in: 40, out: 40 });
    expect(stats.nodes.out).toMatchObject({ in: 20, out: 20 });
    const lag = await t.kafka.groupLag(`mr.${id}.src`, [input]);
    expect(lag.total).toBe(0);
    await send(input, range(0, 5).map((n) => ({ n: 1000 + n })), { "x-user": "carol" });
    await waitFor(async () => (await t.api.stats.snapshot({ flowId: id })).edges["src.success->keep"].records === 45, 20_000, "the new records counted");

    // taps read the external topics the direct edges stand for
    const tappedIn = await t.api.tap.recent({ flowId: id, edgeId: "src.success->keep", limit: 5 });
    expect(tappedIn.length).toBeGreaterThan(0);
    for (const r of tappedIn) expect(r.topic).toBe(input);
    const tappedOut = await t.api.tap.recent({ flowId: id, edgeId: "shape.success->out", limit: 5 });
    expect(tappedOut).toHaveLength(5);
    for (const r of tappedOut) {
      expect(r.topic).toBe(sink);
      expect(r.headers[HEADER.principal]).toBe("carol");
    }

    // lineage: received where it sits in the input topic, sent where it sits in the sink's topic
    const rec = out.find((r) => r.value.n === 4)!;
    const y = rec.headers[HEADER.id]!;
    const g = await waitFor(async () => {
      const l = await t.api.provenance.lineage({ recordId: y });
      return l.nodes.some((n: any) => n.nodeId === "out") && l.nodes.some((n: any) => n.nodeId === "src") ? l : undefined;
    }, 20_000, "lineage");
    expect(g.nodes.map((n: any) => [n.nodeId, n.type])).toEqual([
      ["src", "RECEIVE"],
      ["keep", "ROUTE"],
      ["shape", "MODIFY"],
      ["out", "SEND"],
    ]);
    const at = (node: string) => g.nodes.find((n: any) => n.nodeId === node);
    expect([at("out").topic, at("out").partition, at("out").offset]).toEqual([sink, rec.partition, rec.offset]);
    expect(at("keep").topic).toBe(`mr.${id}.keep.success`);
    const inputRecords = await readTopic(t.brokers, input, (r) => r.length >= 45, { settleMs: 100 });
    const four = inputRecords.find((r) => r.value.n === 4)!;
    expect([at("src").topic, at("src").partition, at("src").offset]).toEqual([input, four.partition, four.offset]);
    expect(g.links).toHaveLength(3);

    // replay of a range of the input edge reaches the filter through the source's stage; the written edge cannot be replayed
    const p = four.partition;
    const replayed = await t.api.provenance.replayRange({ flowId: id, edgeId: "src.success->keep", partition: p, fromOffset: four.offset, toOffset: four.offset });
    expect(replayed).toMatchObject({ count: 1, topic: `mr.${id}.src.replay`, nodes: ["keep"] });
    await waitFor(async () => (await total(sink)) === 24, 20_000, "the replayed record written");
    await expect(t.api.provenance.replayRange({ flowId: id, edgeId: "shape.success->out", partition: rec.partition, fromOffset: rec.offset, toOffset: rec.offset })).rejects.toThrow(
      /written straight to the external topic/,
    );
  });

  it("exactly-once: the sink's topic is written inside the stage's transaction, each record once", async () => {
    const id = uid("direct-eos");
    const input = uid("direct-eos-in");
    const sink = uid("direct-eos-out");
    await t.kafka.ensureTopics([{ topic: input, partitions: 2 }]);
    await send(input, range(0, 60).map((n) => ({ n })));
    await t.api.flows.save({ document: b1(id, input, sink) });
    t.deployed.push(id);
    const status = await t.api.deployments.deploy({ flowId: id, exactlyOnce: true });
    expect((status.plan as ExecutionPlan).stages.map((s) => s.nodes)).toEqual([
      ["src", "keep"],
      ["shape", "out"],
    ]);
    const out = await readTopic(t.brokers, sink, (r) => r.length >= 30, { settleMs: 1500 });
    expect(out.map((r) => r.value.n).sort((a, b) => a - b)).toEqual(range(0, 60, 2));
  });

  it("a deployment stored in the older shape keeps running; redeploying moves it to direct edges and drains what the old edge topics still held", async () => {
    const id = uid("upgrade");
    const input = uid("upgrade-in");
    const sink = uid("upgrade-out");
    await t.kafka.ensureTopics([{ topic: input, partitions: 2 }]);
    await t.api.flows.save({ document: b1(id, input, sink) });
    t.deployed.push(id);

    // what an engine before direct edges stored: a topic on every durable edge
    const manager = t.engine.services.deployments!;
    const old = await manager.plan(id, undefined, false, { directEdges: false });
    expect(old.plan.stages.map((s) => s.id)).toEqual(["src", "keep", "shape", "out"]);
    await t.kafka.ensureTopics(old.plan.topics.filter((topic) => topic.role !== "external-in").map((topic) => ({ topic: topic.name, partitions: topic.partitions })));
    await t.engine.services.repositories.deployments.putRunning({ id: randomUUID(), flowId: id, versionId: old.versionId, version: old.version, exactlyOnce: false, provenance: true, deployedBy: "admin", plan: old.plan });
    await manager.reconcile();
    await send(input, range(0, 20).map((n) => ({ n })));
    await readTopic(t.brokers, sink, (r) => r.length >= 10, { settleMs: 200 });
    // four hops: the source's copy and the last transform's edge topic were written
    expect(await total(`mr.${id}.src.success`)).toBe(20);
    expect(await total(`mr.${id}.shape.success`)).toBe(10);

    const moved = await t.api.deployments.deploy({ flowId: id });
    const drains = (moved.plan as ExecutionPlan).stages.filter((s) => s.drain).map((s) => [s.id, s.inputs, s.groupId]);
    expect(drains).toEqual([
      ["keep", [`mr.${id}.src.success`], `mr.${id}.keep`],
      ["out", [`mr.${id}.shape.success`], `mr.${id}.out`],
    ]);
    // records the old stages had copied but their readers had not read yet (written here, after the switch)
    await send(`mr.${id}.src.success`, [{ n: 100 }, { n: 101 }]);
    await send(`mr.${id}.shape.success`, [{ n: 200, sq: 0 }]);
    await send(input, range(20, 30).map((n) => ({ n })));
    const all = await readTopic(t.brokers, sink, (r) => new Set(r.map((x) => x.value.n)).size >= 10 + 1 + 1 + 5, { settleMs: 500 });
    expect([...new Set(all.map((r) => r.value.n))].sort((a, b) => a - b)).toEqual([...range(0, 30, 2), 100, 200]);
    // the new shape wrote no more copies
    expect(await total(`mr.${id}.src.success`)).toBe(22);

    // once their groups have read them to the end, the next redeploy plans no drains
    await waitFor(async () => (await t.kafka.groupLag(`mr.${id}.keep`, [`mr.${id}.src.success`])).total === 0 && (await t.kafka.groupLag(`mr.${id}.out`, [`mr.${id}.shape.success`])).total === 0, 20_000, "drained");
    const later = await t.api.deployments.deploy({ flowId: id });
    expect((later.plan as ExecutionPlan).stages.map((s) => s.id)).toEqual(["src", "shape"]);
  });
});
