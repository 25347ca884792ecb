// A sink that picks each record's topic (kafka-sink's topicExpression): the plan knows every topic it
// may write up front; the stage writes each record to the topic it named, and nowhere else.
import { describe, expect, it } from "vitest";
import { HEADER, type BatchProcessor, type MRecord } from "@millrace/processors";
import { implementations } from "@millrace/processors/runtime";
import type { FlowDocument } from "@millrace/flow";
import { planFlow, type PlannerCatalog } from "../planner/index.js";
import { StageExecutor, type Partitioning } from "./stage.js";

type SinkConfig = { topic: string; topics?: string[] };
const catalog: PlannerCatalog = {
  get: (t) =>
    ({
      poll: { kind: "source" as const, outputPorts: () => ["success"] },
      sink: {
        kind: "sink" as const,
        outputPorts: () => ["success", "failure"],
        externalTopic: (c: SinkConfig) => c.topic,
        routedTopics: (c: SinkConfig) => c.topics,
      },
    })[t],
};

function doc(sink: SinkConfig): FlowDocument {
  const node = (id: string, type: string, config: Record<string, unknown> = {}) => ({ id, type, typeVersion: 1, config, position: { x: 0, y: 0 } });
  return {
    schemaVersion: 1,
    id: "f",
    name: "f",
    nodes: [node("src", "poll"), node("out", "sink", sink)],
    edges: [{ id: "e1", from: { node: "src", port: "success" }, to: { node: "out" } }],
    parameters: [],
  };
}

const NO_CHOICE: Partitioning = { chooser: undefined, slot: 0 };
const rec = (value: unknown, headers: Record<string, string> = {}): MRecord => ({ key: "k", value, headers });
/** emits every input on success as a new record naming the topic its value says (as kafka-sink does) */
const picking: BatchProcessor = {
  process: (rs, o) => rs.forEach((r, i) => o.emit("success", { key: r.key, value: r.value, headers: { ...r.headers, [HEADER.topic]: String(r.value) } }, i)),
};

/** The sink reads its input topic in a stage of its own: the records go through its processor. */
const consume = (ex: StageExecutor, records: MRecord[]) => ex.runConsumer(records, records.map((_, i) => String(i)), 0, NO_CHOICE);

describe("a sink picking each record's topic", () => {
  it("plans every topic it may write as the sink's external topic, created and checked like it", () => {
    const plan = planFlow(doc({ topic: "events", topics: ["orders", "billing"] }), catalog);
    expect(plan.topics.filter((t) => t.role === "external-out").map((t) => t.name).sort()).toEqual(["billing", "events", "orders"]);
    expect(plan.nodes.find((n) => n.id === "out")!.ports.find((p) => p.port === "success")).toMatchObject({ externalTopic: "events", routedTopics: ["orders", "billing"] });
    // without topics, nothing changes
    const plain = planFlow(doc({ topic: "events" }), catalog);
    expect(plain.nodes.find((n) => n.id === "out")!.ports.find((p) => p.port === "success")!.routedTopics).toBeUndefined();
  });

  it("writes each record to the topic it names, without the header; a topic outside the plan's goes to failure", async () => {
    const plan = planFlow(doc({ topic: "events", topics: ["orders", "billing"] }), catalog);
    const stage = plan.stages.find((s) => s.nodes.includes("out"))!;
    const ex = new StageExecutor(plan, stage, new Map([["out", picking]]));
    const out = await consume(ex, [rec("orders"), rec("billing"), rec("events"), rec("payroll")]);
    const on = (topic: string) => (out.outgoing.topics.get(topic)?.messages ?? []).map((m) => JSON.parse(String(m.value)) as unknown);
    expect([on("orders"), on("billing"), on("events"), on("payroll")]).toEqual([["orders"], ["billing"], ["events"], []]);
    const written = out.outgoing.topics.get("orders")!.messages[0]!;
    expect(written.headers![HEADER.topic]).toBeUndefined();
    const dlq = out.outgoing.topics.get("mr-dlq.f")!.messages;
    expect(dlq.map((m) => m.headers![HEADER.error])).toEqual(['topic "payroll" is not one this node may write (events, orders, billing)']);
    const sink = out.nodes.find((n) => n.nodeId === "out")!;
    // stats and provenance see the topic each record went to
    expect(sink.outputs.map((e) => [e.port, e.topics])).toEqual([
      ["success", ["orders"]],
      ["success", ["billing"]],
      ["success", ["events"]],
      ["failure", ["mr-dlq.f"]],
    ]);
  });

  it("an mr.topic a record already carries steers nothing where the sink picks no topic", async () => {
    const plan = planFlow(doc({ topic: "events" }), catalog, { directEdges: false });
    const stage = plan.stages.find((s) => s.head === "out")!;
    const pass: BatchProcessor = { process: (rs, o) => rs.forEach((r, i) => o.emit("success", r, i)) };
    const out = await consume(new StageExecutor(plan, stage, new Map([["out", pass]])), [rec(1, { [HEADER.topic]: "payroll" })]);
    expect([...out.outgoing.topics.keys()]).toEqual(["events"]);
  });

  it("with the real kafka-sink: the topic picked by topicExpression, the header gone from the written message", async () => {
    const config = { topic: "events", topics: ["orders.created"], topicExpression: 'headers."mr.outbox.topic"' };
    const plan = planFlow(doc(config), catalog);
    const stage = plan.stages.find((s) => s.nodes.includes("out"))!;
    const sink = (await implementations["kafka-sink"].create(config, { flowId: "f", nodeId: "out", signal: new AbortController().signal, log: () => {} })) as BatchProcessor;
    const ex = new StageExecutor(plan, stage, new Map([["out", sink]]));
    const out = await consume(ex, [rec({ n: 1 }, { "mr.outbox.topic": "orders.created" }), rec({ n: 2 }, { [HEADER.topic]: "payroll" })]);
    expect([...out.outgoing.topics.keys()].sort()).toEqual(["events", "orders.created"]);
    expect(out.outgoing.topics.get("orders.created")!.messages[0]!.headers).toMatchObject({ "mr.outbox.topic": "orders.created" });
    expect(out.outgoing.topics.get("events")!.messages[0]!.headers![HEADER.topic]).toBeUndefined();
  });
});
