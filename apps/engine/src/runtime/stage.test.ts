import { describe, expect, it } from "vitest";
import { failed, HEADER, TransientError, type BatchProcessor, type MRecord } from "@millrace/processors";
import type { FlowDocument } from "@millrace/flow";
import { planFlow, type PlannerCatalog } from "../planner/index.js";
import { StageExecutor, type Partitioning, type StageOutput } from "./stage.js";
import { RateWindow, StatsRecorder } from "./stats.js";
import { PartitionChooser } from "./producing.js";
import type { BatchEvent } from "./observer.js";
import { keyPartition } from "../kafka/index.js";
import { principalStampFor } from "./principal-stamp.js";

const catalog: PlannerCatalog = {
  get: (t) =>
    ({
      generate: { kind: "source" as const, outputPorts: () => ["success"] },
      t: { kind: "transform" as const, outputPorts: () => ["success", "failure"] },
      sink: { kind: "sink" as const, outputPorts: () => ["success", "failure"], externalTopic: (c: { topic: string }) => c.topic },
    })[t],
};

function doc(): FlowDocument {
  const node = (id: string, type: string, config: Record<string, unknown> = {}) => ({ id, type, typeVersion: 1, config, position: { x: 0, y: 0 } });
  return {
    schemaVersion: 1,
    id: "f",
    name: "f",
    nodes: [node("gen", "generate"), node("a", "t"), node("b", "t"), node("out", "sink", { topic: "ext" })],
    edges: [
      { id: "e1", from: { node: "gen", port: "success" }, to: { node: "a" } },
      { id: "e2", from: { node: "a", port: "success" }, to: { node: "b" }, settings: { mode: "fused" } },
      { id: "e3", from: { node: "b", port: "success" }, to: { node: "out" } },
    ],
    parameters: [],
  };
}

/** no partition chooser: messages go without a partition */
const NO_CHOICE: Partitioning = { chooser: undefined, slot: 0 };
const messagesOf = (out: StageOutput, topic: string) => out.outgoing.topics.get(topic)!.messages;

const rec = (value: unknown, id?: string): MRecord => ({ value, headers: id ? { [HEADER.id]: id } : {} });

/** a: doubles `value.n` (throws on n = 3 for the whole batch); b: passes through unchanged, fails odd values. */
const a: BatchProcessor = {
  process(records, out) {
    if (records.some((r) => (r.value as { n: number }).n === 3)) throw new Error("boom on 3");
    records.forEach((r, i) => out.emit("success", { value: { n: (r.value as { n: number }).n * 2 }, headers: r.headers }, i));
  },
};
const b: BatchProcessor = {
  process(records, out) {
    records.forEach((r, i) => {
      const n = (r.value as { n: number }).n;
      if (n === 10) out.emit("failure", failed(r, "ten is bad", "b"), i);
      else out.emit("success", r, i);
    });
  },
};

describe("StageExecutor", () => {
  // a topic on every durable edge: b's port is written to its edge topic, the sink's stage reads it
  const plan = planFlow(doc(), catalog, { directEdges: false });
  const stage = plan.stages.find((s) => s.id === "a")!;

  it("runs the fused chain, writes the durable port's topic, the dead-letter topic for an unconnected failure, and sets lineage", async () => {
    const ex = new StageExecutor(plan, stage, new Map([["a", a], ["b", b]]));
    const inputs = [rec({ n: 1 }, "r1"), rec({ n: 5 }, "r5"), rec({ n: 2 }, "r2")];
    const out = await ex.runConsumer(inputs, ["10", "11", "12"], 42, NO_CHOICE);
    expect(out.nodes.map((n) => n.nodeId)).toEqual(["a", "b"]);
    const topicOut = messagesOf(out, "mr.f.b.success");
    expect(topicOut.map((m) => JSON.parse(String(m.value)))).toEqual([{ n: 2 }, { n: 4 }]);
    const dlq = messagesOf(out, "mr-dlq.f");
    expect(dlq.map((m) => JSON.parse(String(m.value)))).toEqual([{ n: 10 }]);
    expect(dlq[0]!.headers![HEADER.error]).toBe("ten is bad");
    expect(out.outgoing.count).toBe(3);

    const [na, nb] = out.nodes;
    expect(na!.inputOffsets).toEqual(["10", "11", "12"]);
    expect(na!.bytesIn).toBe(42);
    // a derived new records: new ids, parents = the inputs' ids
    expect(na!.outputs.map((e) => e.record.headers[HEADER.parents])).toEqual(["r1", "r5", "r2"]);
    expect(new Set(na!.outputs.map((e) => e.record.headers[HEADER.id])).size).toBe(3);
    // b passed records through unchanged: same ids; its failure is a new record
    expect(nb!.outputs[0]!.record.headers[HEADER.id]).toBe(na!.outputs[0]!.record.headers[HEADER.id]);
    expect(nb!.errors).toBe(1);
    expect(nb!.lastError).toBe("ten is bad");
    expect(nb!.outputs.map((e) => [e.port, e.parent, e.topics])).toEqual([
      ["success", 0, ["mr.f.b.success"]],
      ["failure", 1, ["mr-dlq.f"]],
      ["success", 2, ["mr.f.b.success"]],
    ]);
    expect(nb!.bytesOut).toBeGreaterThan(0);
  });

  it("a processor that throws for a batch is retried record by record; the bad record alone goes to failure", async () => {
    const ex = new StageExecutor(plan, stage, new Map([["a", a], ["b", b]]));
    const out = await ex.runConsumer([rec({ n: 1 }, "x1"), rec({ n: 3 }, "x3"), rec({ n: 4 }, "x4")], ["0", "1", "2"], 0, NO_CHOICE);
    expect(messagesOf(out, "mr.f.b.success").map((m) => JSON.parse(String(m.value)))).toEqual([{ n: 2 }, { n: 8 }]);
    const dlq = messagesOf(out, "mr-dlq.f");
    expect(dlq.map((m) => [JSON.parse(String(m.value)), m.headers![HEADER.error], m.headers![HEADER.errorNode], m.headers![HEADER.parents]])).toEqual([[{ n: 3 }, "boom on 3", "a", "x3"]]);
  });

  it("transient errors fail the batch (it is retried, not sent to failure)", async () => {
    const down: BatchProcessor = {
      process() {
        throw new TransientError("db down");
      },
    };
    const ex = new StageExecutor(plan, stage, new Map([["a", down], ["b", b]]));
    await expect(ex.runConsumer([rec({ n: 1 })], ["0"], 0, NO_CHOICE)).rejects.toThrow("db down");
  });

  it("a kafka-sink's success records go to its external topic", async () => {
    const sinkStage = plan.stages.find((s) => s.id === "out")!;
    const pass: BatchProcessor = { process: (rs, o) => rs.forEach((r, i) => o.emit("success", r, i)) };
    const ex = new StageExecutor(plan, sinkStage, new Map([["out", pass]]));
    const out = await ex.runConsumer([rec({ n: 7 }, "k")], ["5"], 3, NO_CHOICE);
    expect([...out.outgoing.topics.keys()]).toEqual(["ext"]);
  });

  it("a polled source's records are created (parent -1) with fresh ids and no parents", async () => {
    const srcStage = plan.stages.find((s) => s.id === "gen")!;
    const ex = new StageExecutor(plan, srcStage, new Map());
    const out = await ex.runSource([rec({ n: 1 }), rec({ n: 2 })], NO_CHOICE);
    const e = out.nodes[0]!.outputs;
    expect(e.map((x) => x.parent)).toEqual([-1, -1]);
    expect(e.every((x) => x.record.headers[HEADER.id] && x.record.headers[HEADER.parents] === undefined)).toBe(true);
    expect(messagesOf(out, "mr.f.gen.success").length).toBe(2);
  });

  it("a polled source's failures go to its failure port, not to success", async () => {
    const srcStage = plan.stages.find((s) => s.id === "gen")!;
    const ex = new StageExecutor(plan, srcStage, new Map());
    const out = await ex.runSource([rec({ n: 1 })], NO_CHOICE, [failed(rec("bad line"), "a.log line 2: not JSON", "gen")]);
    const e = out.nodes[0]!.outputs;
    expect(e.map((x) => [x.port, x.parent])).toEqual([
      ["success", -1],
      ["failure", -1],
    ]);
    expect(e[1]!.record.headers[HEADER.error]).toBe("a.log line 2: not JSON");
    expect(messagesOf(out, "mr.f.gen.success").length).toBe(1);
  });

  it("a source stage names who sent its records: created ones get the stamp unless the source named a caller; incoming ones follow the rule", async () => {
    const srcStage = plan.stages.find((s) => s.id === "gen")!;
    const created = new StageExecutor(plan, srcStage, new Map(), principalStampFor("olga", undefined));
    const named: MRecord = { value: 2, headers: { [HEADER.principal]: "alice", [HEADER.auth]: "token" } };
    const made = (await created.runSource([rec(1), named], NO_CHOICE)).nodes[0]!.outputs.map((e) => [e.record.headers[HEADER.principal], e.record.headers[HEADER.auth]]);
    expect(made).toEqual([["olga", "deployment"], ["alice", "token"]]);
    expect(named.headers[HEADER.id]).toBeUndefined(); // the source's own record is not touched

    const pass: BatchProcessor = { process: (rs, o) => rs.forEach((r, i) => o.emit("success", r, i)) };
    const incoming = new StageExecutor(plan, stage, new Map([["a", pass], ["b", pass]]), principalStampFor("olga", { header: "x-user", principal: "svc" }));
    const inputs: MRecord[] = [{ value: 1, headers: { "x-user": "carol" } }, { value: 2, headers: { [HEADER.principal]: "mallory" } }, { value: 3, headers: { "x-user": "" } }];
    const out = await incoming.runConsumer(inputs, ["0", "1", "2"], 0, NO_CHOICE);
    expect(out.nodes[0]!.outputs.map((e) => [e.record.headers[HEADER.principal], e.record.headers[HEADER.auth]])).toEqual([
      ["carol", "kafka-header"],
      ["svc", "configured"],
      ["svc", "configured"],
    ]);
    expect(principalStampFor(null, { header: "mr.principal" })).toEqual({ header: "mr.principal", principal: "unknown", auth: "deployment" });
  });

  it("a direct edge into a sink: the stage runs the sink and writes its external topic itself (no edge topic); the edge is counted", async () => {
    const direct = planFlow(doc(), catalog);
    const st = direct.stages.find((s) => s.id === "a")!;
    expect(st.nodes).toEqual(["a", "b", "out"]);
    const pass: BatchProcessor = { process: (records, out) => records.forEach((r, i) => out.emit("success", r, i)) };
    const ex = new StageExecutor(direct, st, new Map([["a", a], ["b", b], ["out", pass]]));
    const out = await ex.runConsumer([rec({ n: 1 }, "r1"), rec({ n: 2 }, "r2")], ["0", "1"], 10, NO_CHOICE);
    expect([...out.outgoing.topics.keys()]).toEqual(["ext"]);
    expect(messagesOf(out, "ext").map((m) => JSON.parse(String(m.value)))).toEqual([{ n: 2 }, { n: 4 }]);
    const stats = new StatsRecorder();
    stats.track("d", "f", direct);
    stats.onBatch({ flowId: "f", deploymentId: "d", stageId: "a", input: null, startedAt: 0, durationMs: 0, transactional: false, provenance: false, nodes: out.nodes } as BatchEvent);
    expect(stats.figures("d")!.edges["e3"]!.records).toBe(2);
  });

  it("a source with a call-context topic adds one context per record it emits to the same batch, keyed by the record's id; none without", async () => {
    const withContext = doc();
    withContext.nodes[0]!.settings = { callContextTopic: "who" };
    const ctxPlan = planFlow(withContext, catalog);
    const ex = new StageExecutor(ctxPlan, ctxPlan.stages.find((s) => s.id === "gen")!, new Map(), principalStampFor("olga", undefined));
    const named: MRecord = { value: 2, headers: { [HEADER.principal]: "alice", [HEADER.auth]: "token" } };
    const out = await ex.runSource([rec(1), named], NO_CHOICE);
    const ids = out.nodes[0]!.outputs.map((e) => e.record.headers[HEADER.id]);
    const contexts = messagesOf(out, "who");
    expect(contexts.map((m) => m.key)).toEqual(ids);
    expect(contexts.map((m) => JSON.parse(String(m.value)))).toEqual([
      { recordId: ids[0], principal: "olga", auth: "deployment", at: expect.any(String), flowId: "f", nodeId: "gen" },
      { recordId: ids[1], principal: "alice", auth: "token", at: expect.any(String), flowId: "f", nodeId: "gen" },
    ]);
    expect(out.outgoing.count).toBe(4);
    const plain = await new StageExecutor(plan, plan.stages.find((s) => s.id === "gen")!, new Map()).runSource([rec(1)], NO_CHOICE);
    expect([...plain.outgoing.topics.keys()]).toEqual(["mr.f.gen.success"]);
  });

  it("feeds the stats recorder: per node and per edge counts", async () => {
    const ex = new StageExecutor(plan, stage, new Map([["a", a], ["b", b]]));
    const out = await ex.runConsumer([rec({ n: 1 }), rec({ n: 5 })], ["0", "1"], 10, NO_CHOICE);
    const stats = new StatsRecorder();
    stats.track("d1", "f", plan);
    const ev: BatchEvent = { flowId: "f", deploymentId: "d1", stageId: "a", input: { topic: "t", partition: 0, firstOffset: "0", lastOffset: "1" }, startedAt: 0, durationMs: 1, transactional: false, nodes: out.nodes };
    stats.onBatch(ev);
    const f = stats.figures("d1")!;
    expect(f.nodes.a).toMatchObject({ in: 2, out: 2, errors: 0, bytesIn: 10 });
    expect(f.nodes.b).toMatchObject({ in: 2, out: 2, errors: 1, lastError: "ten is bad" });
    expect(f.edges.e2).toMatchObject({ records: 2 });
    expect(f.edges.e3.records).toBe(1);
    expect(f.edges.e3.bytes).toBeGreaterThan(0);
  });
  it("builds each output once: its size, its messages' partitions and its index in its first topic are set as it is routed", async () => {
    const pass: BatchProcessor = { process: (rs, o) => rs.forEach((r, i) => o.emit("success", r, i)) };
    const ex = new StageExecutor(plan, stage, new Map([["a", pass], ["b", b]]));
    const chooser = new PartitionChooser(new Map([["mr.f.b.success", 3], ["mr-dlq.f", 2]]), new Set(["mr.f.b.success"]), false);
    const keyed = (n: number, key: string): MRecord => ({ value: { n }, key, headers: {} });
    const out = await ex.runConsumer([rec({ n: 1 }), keyed(2, "k"), rec({ n: 10 })], ["0", "1", "2"], 0, { chooser, slot: 4 });
    const edge = out.outgoing.topics.get("mr.f.b.success")!;
    // unkeyed: the slot (4 % 3); keyed: Kafka's key hash
    expect(edge.messages.map((m) => m.partition)).toEqual([1, keyPartition("k", 3)]);
    expect(messagesOf(out, "mr-dlq.f").map((m) => m.partition)).toEqual([0]);
    const outputs = out.nodes[1]!.outputs;
    expect(outputs.map((e) => [e.port, e.messageIndex])).toEqual([["success", 0], ["success", 1], ["failure", 0]]);
    expect(outputs.map((e) => e.bytes)).toEqual(outputs.map((e) => Buffer.byteLength(JSON.stringify(e.record.value)) + (e.record.key?.length ?? 0)));
    expect(edge.owners).toEqual([outputs[0], outputs[1]]);
    // not written (fused on): no index
    expect(out.nodes[0]!.outputs.every((e) => e.messageIndex === undefined && e.bytes === undefined)).toBe(true);
  });
});

describe("RateWindow", () => {
  it("sums complete seconds over 1 s, 1 min and 5 min windows", () => {
    const w = new RateWindow();
    const t0 = 1_000_000_000;
    w.add(5, t0);
    w.add(5, t0 + 500);
    w.add(3, t0 + 1000);
    expect(w.sum(1, t0 + 1500)).toBe(10);
    expect(w.sum(1, t0 + 2000)).toBe(3);
    expect(w.sum(60, t0 + 2000)).toBe(13);
    expect(w.sum(300, t0 + 299_000)).toBe(13);
    expect(w.sum(300, t0 + 301_500)).toBe(0);
  });
});
