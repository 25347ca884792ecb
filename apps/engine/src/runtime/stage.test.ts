import { describe, expect, it } from "vitest";
import { failed, HEADER, type BatchProcessor, type MRecord } from "@millrace/processors";
import type { FlowDocument } from "@millrace/flow";
import { planFlow, type PlannerCatalog } from "../planner/index.js";
import { StageExecutor } from "./stage.js";
import { RateWindow, StatsRecorder } from "./stats.js";
import { PartitionChooser, sendAll, toRequests } from "./runners.js";
import type { BatchEvent } from "./observer.js";
import { keyPartition, type OutMessage } from "../kafka/index.js";

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
  const plan = planFlow(doc(), catalog);
  const stage = plan.stages.find((s) => s.id === "a")!;

  it("runs the fused chain, writes the durable port's topic, the dead-letter topic for an unconnected failure, and sets lineage", async () => {
    const ex = new StageExecutor(plan, stage, new Map([["a", a], ["b", b]]));
    const inputs = [rec({ n: 1 }, "r1"), rec({ n: 5 }, "r5"), rec({ n: 2 }, "r2")];
    const out = await ex.runConsumer(inputs, ["10", "11", "12"], 42);
    expect(out.nodes.map((n) => n.nodeId)).toEqual(["a", "b"]);
    const topicOut = out.produce.get("mr.f.b.success")!;
    expect(topicOut.map((m) => JSON.parse(String(m.value)))).toEqual([{ n: 2 }, { n: 4 }]);
    const dlq = out.produce.get("mr-dlq.f")!;
    expect(dlq.map((m) => JSON.parse(String(m.value)))).toEqual([{ n: 10 }]);
    expect(dlq[0]!.headers![HEADER.error]).toBe("ten is bad");
    expect(out.count).toBe(3);

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
    const out = await ex.runConsumer([rec({ n: 1 }, "x1"), rec({ n: 3 }, "x3"), rec({ n: 4 }, "x4")], ["0", "1", "2"], 0);
    expect(out.produce.get("mr.f.b.success")!.map((m) => JSON.parse(String(m.value)))).toEqual([{ n: 2 }, { n: 8 }]);
    const dlq = out.produce.get("mr-dlq.f")!;
    expect(dlq.map((m) => [JSON.parse(String(m.value)), m.headers![HEADER.error], m.headers![HEADER.errorNode], m.headers![HEADER.parents]])).toEqual([[{ n: 3 }, "boom on 3", "a", "x3"]]);
  });

  it("transient errors fail the batch (it is retried, not sent to failure)", async () => {
    const down: BatchProcessor = {
      process() {
        throw Object.assign(new Error("db down"), { name: "PostgresUnavailableError" });
      },
    };
    const ex = new StageExecutor(plan, stage, new Map([["a", down], ["b", b]]));
    await expect(ex.runConsumer([rec({ n: 1 })], ["0"], 0)).rejects.toThrow("db down");
  });

  it("a kafka-sink's success records go to its external topic", async () => {
    const sinkStage = plan.stages.find((s) => s.id === "out")!;
    const pass: BatchProcessor = { process: (rs, o) => rs.forEach((r, i) => o.emit("success", r, i)) };
    const ex = new StageExecutor(plan, sinkStage, new Map([["out", pass]]));
    const out = await ex.runConsumer([rec({ n: 7 }, "k")], ["5"], 3);
    expect([...out.produce.keys()]).toEqual(["ext"]);
  });

  it("a polled source's records are created (parent -1) with fresh ids and no parents", async () => {
    const srcStage = plan.stages.find((s) => s.id === "gen")!;
    const ex = new StageExecutor(plan, srcStage, new Map());
    const out = await ex.runSource([rec({ n: 1 }), rec({ n: 2 })]);
    const e = out.nodes[0]!.outputs;
    expect(e.map((x) => x.parent)).toEqual([-1, -1]);
    expect(e.every((x) => x.record.headers[HEADER.id] && x.record.headers[HEADER.parents] === undefined)).toBe(true);
    expect(out.produce.get("mr.f.gen.success")!.length).toBe(2);
  });

  it("feeds the stats recorder: per node and per edge counts", async () => {
    const ex = new StageExecutor(plan, stage, new Map([["a", a], ["b", b]]));
    const out = await ex.runConsumer([rec({ n: 1 }), rec({ n: 5 })], ["0", "1"], 10);
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

describe("produce requests", () => {
  const msg = (n: number, key?: string): OutMessage => ({ value: Buffer.alloc(n), ...(key ? { key } : {}) });
  it("splits a batch's output into requests under the size limit, keeping order per topic", () => {
    const produce = new Map([
      ["a", [msg(400), msg(400), msg(400)]],
      ["b", [msg(100)]],
    ]);
    const reqs = toRequests(produce, 1000);
    expect(reqs.map((r) => r.parts.map((x) => `${x.topic}:${x.messages.length}`))).toEqual([["a:2"], ["a:1", "b:1"]]);
    expect(reqs.map((r) => r.bytes)).toEqual([928, 628]);
    expect(toRequests(new Map([["a", [msg(5000)]]]), 1000)).toHaveLength(1); // a big record goes alone
  });

  it("chooses partitions: unkeyed records follow the input partition; keyed ones get Kafka's key hash (set explicitly) except on internal topics in exactly-once mode", () => {
    const counts = new Map([["edge", 3], ["ext", 2]]);
    const produce = () => new Map([["edge", [msg(1), msg(1, "k")]], ["ext", [msg(1), msg(1, "k")]]]);
    const alo = produce();
    new PartitionChooser(counts, new Set(["edge"]), false).assign(alo, 4);
    expect([...alo.values()].map((ms) => ms.map((m) => m.partition))).toEqual([[1, keyPartition("k", 3)], [0, keyPartition("k", 2)]]);
    const eo = produce();
    new PartitionChooser(counts, new Set(["edge"]), true).assign(eo, 4);
    expect([...eo.values()].map((ms) => ms.map((m) => m.partition))).toEqual([[1, 1], [0, keyPartition("k", 2)]]);
  });
});

describe("produced offsets", () => {
  it("sendAll gives every output the offset and partition of each copy it wrote, from the acks' base offsets", async () => {
    const topics = Object.freeze(["edge", "ext"]) as readonly string[];
    const e1 = { port: "success", record: { value: 1, headers: {} }, parent: 0, topics } as import("./observer.js").Emitted;
    const e2 = { port: "success", record: { value: 2, headers: {} }, parent: 1, topics } as import("./observer.js").Emitted;
    const m = (p: number): OutMessage => ({ value: Buffer.from("x"), partition: p });
    const produce = new Map([["edge", [m(0), m(0)]], ["ext", [m(1), m(2)]]]);
    const owners = new Map([["edge", [e1, e2]], ["ext", [e1, e2]]]);
    const sender = {
      send: async () => [],
      sendBatch: async () => [
        { topic: "edge", partition: 0, baseOffset: "41" },
        { topic: "ext", partition: 1, baseOffset: "7" },
        { topic: "ext", partition: 2, baseOffset: "100" },
      ],
    };
    await sendAll(sender, produce, owners);
    expect([e1.offsets, e1.partitions, e2.offsets, e2.partitions]).toEqual([[41, 7], [0, 1], [42, 100], [0, 2]]);
    expect([e1.offset, e1.partition, e2.offset, e2.partition]).toEqual([41, 0, 42, 0]);
  });
});
