import { describe, expect, it } from "vitest";
import type { FlowDocument } from "@millrace/flow";
import { deadLetterTopicName, edgeTopicName, nameComponent, planFlow, publicPlan, type PlannerCatalog } from "./plan.js";

const specs: Record<string, ReturnType<PlannerCatalog["get"]>> = {
  generate: { kind: "source", outputPorts: () => ["success"] },
  "http-listen": { kind: "source", outputPorts: () => ["success"], ingress: (c) => ({ path: c.path }) },
  "kafka-source": { kind: "source", outputPorts: () => ["success"], externalTopic: (c) => c.topic },
  filter: { kind: "transform", outputPorts: () => ["success", "failure"] },
  map: { kind: "transform", outputPorts: () => ["success", "failure"] },
  "flat-map": { kind: "transform", outputPorts: () => ["success", "failure"], forks: true },
  route: { kind: "transform", outputPorts: (c) => [...c.routes.map((r: { name: string }) => r.name), "unmatched", "failure"] },
  "kafka-sink": { kind: "sink", outputPorts: () => ["success", "failure"], externalTopic: (c) => c.topic, routedTopics: (c) => c.topics ?? [] },
  log: { kind: "sink", outputPorts: () => [] },
};
const catalog: PlannerCatalog = { get: (t) => specs[t] };

function flow(nodes: [string, string, object?][], edges: [string, string, string, ("fused" | "durable")?, object?][]): FlowDocument {
  return {
    schemaVersion: 1,
    id: "f1",
    name: "f",
    nodes: nodes.map(([id, type, config]) => ({ id, type, typeVersion: 1, config: (config ?? {}) as Record<string, unknown>, position: { x: 0, y: 0 } })),
    edges: edges.map(([from, port, to, mode, settings]) => ({
      id: `${from}-${port}-${to}`,
      from: { node: from, port },
      to: { node: to },
      settings: mode || settings ? { ...(mode ? { mode } : {}), ...(settings ?? {}) } : undefined,
    })),
    parameters: [],
  };
}

describe("planFlow", () => {
  it("durable by default: one topic per port, one stage and consumer group per node (direct edges off)", () => {
    const p = planFlow(
      flow(
        [["gen", "generate"], ["f", "filter"], ["m", "map"], ["out", "kafka-sink", { topic: "sink-t" }]],
        [["gen", "success", "f"], ["f", "success", "m"], ["m", "success", "out"]],
      ),
      catalog,
      { directEdges: false },
    );
    expect(p.stages.map((s) => [s.id, s.kind, s.nodes, s.inputs])).toEqual([
      ["gen", "poll-source", ["gen"], []],
      ["f", "consumer", ["f"], ["mr.f1.gen.success", "mr.f1.f.replay"]],
      ["m", "consumer", ["m"], ["mr.f1.f.success", "mr.f1.m.replay"]],
      ["out", "consumer", ["out"], ["mr.f1.m.success", "mr.f1.out.replay"]],
    ]);
    expect(p.stages.map((s) => s.replayTopic)).toEqual([undefined, "mr.f1.f.replay", "mr.f1.m.replay", "mr.f1.out.replay"]);
    expect(new Set(p.stages.map((s) => s.groupId)).size).toBe(4);
    expect(p.stages.find((s) => s.id === "gen")!.singleOwner).toBe(true);
    expect(p.topics.map((t) => [t.name, t.role, t.partitions])).toEqual([
      ["mr-dlq.f1", "dead-letter", 1],
      ["mr.f1.f.replay", "replay", 1],
      ["mr.f1.f.success", "edge", 3],
      ["mr.f1.gen.success", "edge", 3],
      ["mr.f1.m.replay", "replay", 1],
      ["mr.f1.m.success", "edge", 3],
      ["mr.f1.out.replay", "replay", 1],
      ["sink-t", "external-out", 3],
    ]);
    const out = p.nodes.find((n) => n.id === "out")!;
    expect(out.ports.find((x) => x.port === "success")!.externalTopic).toBe("sink-t");
    expect(out.ports.find((x) => x.port === "failure")!.deadLetter).toBe("mr-dlq.f1");
    const f = p.nodes.find((n) => n.id === "f")!;
    expect(f.ports.find((x) => x.port === "failure")!.deadLetter).toBe("mr-dlq.f1");
    expect(p.edges.every((e) => e.mode === "durable" && e.queueThreshold === 1_000_000)).toBe(true);
    expect(p.edges.find((e) => e.id === "f-success-m")!.consumerGroup).toBe(p.stages.find((s) => s.id === "m")!.groupId);
    expect(p.backPressure).toEqual([{ stage: "gen", edges: ["f-success-m", "gen-success-f", "m-success-out"] }]);
  });

  it("fuses a chain of stateless processors joined by fused edges into one stage with no topic between", () => {
    const p = planFlow(
      flow(
        [["gen", "generate"], ["f", "filter"], ["m", "map"], ["out", "kafka-sink", { topic: "t" }]],
        [["gen", "success", "f"], ["f", "success", "m", "fused"], ["m", "success", "out", "fused"]],
      ),
      catalog,
    );
    expect(p.stages.map((s) => [s.id, s.nodes])).toEqual([["gen", ["gen"]], ["f", ["f", "m", "out"]]]);
    expect(p.topics.filter((t) => t.role === "edge").map((t) => t.name)).toEqual(["mr.f1.gen.success"]);
    expect(p.nodes.find((n) => n.id === "f")!.ports.find((x) => x.port === "success")).toEqual({
      port: "success",
      fused: [{ edge: "f-success-m", node: "m" }],
      durableEdges: [],
    });
    expect(p.edges.find((e) => e.id === "f-success-m")!.mode).toBe("fused");
    expect(p.warnings).toEqual([]);
  });

  it("a source may head a fused chain", () => {
    const p = planFlow(flow([["gen", "generate"], ["m", "map"]], [["gen", "success", "m", "fused"]]), catalog);
    expect(p.stages.map((s) => [s.id, s.kind, s.nodes])).toEqual([["gen", "poll-source", ["gen", "m"]]]);
  });

  it("a fused edge into a node with several inputs runs durable, with a warning", () => {
    const p = planFlow(
      flow(
        [["a", "generate"], ["b", "generate"], ["m", "map"]],
        [["a", "success", "m", "fused"], ["b", "success", "m"]],
      ),
      catalog,
    );
    expect(p.edges.every((e) => e.mode === "durable")).toBe(true);
    expect(p.stages.find((s) => s.id === "m")!.inputs.sort()).toEqual(["mr.f1.a.success", "mr.f1.b.success", "mr.f1.m.replay"]);
    expect(p.warnings[0]).toMatch(/several inputs/);
  });

  it("one topic per port even when the port fans out to several durable edges; partitions = the largest asked", () => {
    const p = planFlow(
      flow(
        [["gen", "generate"], ["x", "map"], ["y", "map"]],
        [["gen", "success", "x", undefined, { partitions: 2 }], ["gen", "success", "y", undefined, { partitions: 6, queueThreshold: 5 }]],
      ),
      catalog,
    );
    const edgeTopics = p.topics.filter((t) => t.role === "edge");
    expect(edgeTopics).toEqual([{ name: "mr.f1.gen.success", partitions: 6, role: "edge", from: { node: "gen", port: "success" }, edges: ["gen-success-x", "gen-success-y"] }]);
    expect(p.stages.find((s) => s.id === "x")!.groupId).not.toBe(p.stages.find((s) => s.id === "y")!.groupId);
    expect(p.edges.find((e) => e.to === "y")!.queueThreshold).toBe(5);
  });

  it("route: a topic per connected route port, failure to the dead-letter topic when unconnected, unmatched dropped when unconnected", () => {
    const p = planFlow(
      flow(
        [["src", "kafka-source", { topic: "in", fromBeginning: true }], ["r", "route", { routes: [{ name: "a" }, { name: "b" }] }], ["la", "log"], ["lb", "log"]],
        [["src", "success", "r"], ["r", "a", "la"], ["r", "b", "lb"]],
      ),
      catalog,
    );
    const src = p.stages.find((s) => s.id === "src")!;
    expect([src.kind, src.inputs, src.fromBeginning, src.singleOwner]).toEqual(["kafka-source", ["in", "mr.f1.src.replay"], true, false]);
    const r = p.nodes.find((n) => n.id === "r")!;
    expect(r.ports.map((x) => [x.port, x.topic, x.deadLetter])).toEqual([
      ["a", "mr.f1.r.a", undefined],
      ["b", "mr.f1.r.b", undefined],
      ["unmatched", undefined, undefined],
      ["failure", undefined, "mr-dlq.f1"],
    ]);
    expect(p.topics.find((t) => t.name === "in")!.role).toBe("external-in");
  });

  it("an unconnected transform does not run, with a warning", () => {
    const p = planFlow(flow([["m", "map"]], []), catalog);
    expect(p.stages[0]!.idle).toBe(true);
    expect(p.warnings).toEqual(['node "m" has no incoming edge: it never receives a record']);
  });

  it("is pure and deterministic", () => {
    const doc = flow([["gen", "generate"], ["m", "map"]], [["gen", "success", "m"]]);
    const copy = structuredClone(doc);
    expect(planFlow(doc, catalog)).toEqual(planFlow(doc, catalog));
    expect(doc).toEqual(copy);
  });

  it("names are Kafka-safe and stable", () => {
    expect(edgeTopicName("f1", "n1", "success")).toBe("mr.f1.n1.success");
    expect(deadLetterTopicName("f1")).toBe("mr-dlq.f1");
    const odd = edgeTopicName("flow one", "node/1", "ok");
    expect(odd).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(odd).toBe(edgeTopicName("flow one", "node/1", "ok"));
    expect(nameComponent("a b")).not.toBe(nameComponent("a_b"));
    expect(edgeTopicName("x".repeat(200), "y".repeat(200), "p").length).toBeLessThanOrEqual(249);
  });
  it("a port named replay does not clash with its node's replay topic", () => {
    const p = planFlow(
      flow(
        [["src", "kafka-source", { topic: "in" }], ["r", "route", { routes: [{ name: "replay", expression: "true" }] }], ["out", "kafka-sink", { topic: "t" }]],
        [["src", "success", "r"], ["r", "replay", "out"]],
      ),
      catalog,
      { directEdges: false },
    );
    expect(p.stages.find((s) => s.id === "r")!.replayTopic).toBe("mr.f1.r.replay.in");
    expect(p.nodes.find((n) => n.id === "r")!.ports.find((x) => x.port === "replay")!.topic).toBe("mr.f1.r.replay");
  });

  it("every planned node carries its type, version, substituted config, settings and ingress", () => {
    const doc = flow(
      [["in", "http-listen", { path: "/orders" }], ["m", "map", { expression: "value" }], ["out", "kafka-sink", { topic: "#{prefix}.orders", password: "#{secret}", literal: "##{prefix}" }]],
      [["in", "success", "m"], ["m", "success", "out"]],
    );
    doc.nodes[1]!.typeVersion = 2;
    doc.nodes[1]!.settings = { concurrency: 2 };
    doc.parameters = [
      { name: "prefix", value: "prod", sensitive: false },
      { name: "secret", value: "hunter2-secret", sensitive: true },
    ];
    const copy = structuredClone(doc);
    const p = planFlow(doc, catalog);
    expect(doc).toEqual(copy);
    expect(p.nodes.map((n) => [n.id, n.type, n.typeVersion, n.settings, n.ingress])).toEqual([
      ["in", "http-listen", 1, {}, { path: "/orders" }],
      ["m", "map", 2, { concurrency: 2 }, undefined],
      ["out", "kafka-sink", 1, {}, undefined],
    ]);
    expect(p.nodes.find((n) => n.id === "out")!.config).toEqual({ topic: "prod.orders", password: "hunter2-secret", literal: "#{prefix}" });
    expect(p.topics.find((t) => t.role === "external-out")!.name).toBe("prod.orders");
    expect(p.stages.find((s) => s.id === "m")!.concurrency).toBe(2);
  });

  it("a spec's forks flag reaches its planned node (provenance reads it there)", () => {
    const p = planFlow(flow([["gen", "generate"], ["split", "flat-map"], ["m", "map"]], [["gen", "success", "split"], ["split", "success", "m"]]), catalog);
    expect(p.nodes.map((n) => [n.id, n.forks])).toEqual([["gen", undefined], ["split", true], ["m", undefined]]);
    expect(publicPlan(p).nodes.find((n) => n.id === "split")!.forks).toBe(true);
  });

  it("publicPlan drops the node configs, so no secret leaves the engine", () => {
    const doc = flow([["gen", "generate", { template: "#{secret}" }], ["out", "kafka-sink", { topic: "t", token: "#{secret}" }]], [["gen", "success", "out"]]);
    doc.parameters = [{ name: "secret", value: "hunter2-secret", sensitive: true }];
    const p = planFlow(doc, catalog);
    expect(JSON.stringify(p)).toContain("hunter2-secret");
    const pub = publicPlan(p);
    expect(JSON.stringify(pub)).not.toContain("hunter2-secret");
    expect(pub.nodes.every((n) => !("config" in n))).toBe(true);
    expect(pub.nodes.map((n) => [n.id, n.type, n.stage])).toEqual(p.nodes.map((n) => [n.id, n.type, n.stage]));
    expect({ ...pub, nodes: undefined }).toEqual({ ...p, nodes: undefined });
  });
  it("a source's callContextTopic is planned as an external output topic and named on the node; other nodes' settings do not plan one", () => {
    const d = flow([["in", "http-listen", { path: "/in" }], ["f", "filter"], ["out", "kafka-sink", { topic: "sink-t" }]], [["in", "success", "f"], ["f", "success", "out"]]);
    d.nodes[0]!.settings = { callContextTopic: "who-sent" };
    d.nodes[1]!.settings = { callContextTopic: "not-a-source" };
    const p = planFlow(d, catalog, { externalPartitions: 6 });
    expect(p.topics.filter((t) => t.role === "external-out").map((t) => [t.name, t.partitions])).toEqual([
      ["sink-t", 6],
      ["who-sent", 6],
    ]);
    expect(p.nodes.map((n) => [n.id, n.callContextTopic])).toEqual([
      ["in", "who-sent"],
      ["f", undefined],
      ["out", undefined],
    ]);
    expect(publicPlan(p).nodes[0]!.callContextTopic).toBe("who-sent");
    d.nodes[0]!.settings = { callContextTopic: "mr.f1.f.success" };
    expect(() => planFlow(d, catalog, { directEdges: false })).toThrow(/one of the flow's own topics/);
  });
});

describe("planFlow: direct edges (no copy hops)", () => {
  const b1 = () =>
    flow(
      [["src", "kafka-source", { topic: "in" }], ["f", "filter"], ["m", "map"], ["out", "kafka-sink", { topic: "out-t" }]],
      [["src", "success", "f"], ["f", "success", "m"], ["m", "success", "out"]],
    );
  /** Kafka writes a record makes on its way through: one per edge topic plus one per external topic written (a stage reading an external topic writes nothing there). */
  const hops = (p: ReturnType<typeof planFlow>) => p.topics.filter((t) => t.role === "edge").length + p.topics.filter((t) => t.role === "external-out").length;

  it("kafka-source → filter → map → kafka-sink: two stages and one edge topic (2 Kafka hops, 4 without direct edges)", () => {
    const p = planFlow(b1(), catalog);
    expect(p.stages.map((s) => [s.id, s.kind, s.nodes, s.inputs, s.groupId])).toEqual([
      ["src", "kafka-source", ["src", "f"], ["in", "mr.f1.src.replay"], "mr.f1.src"],
      ["m", "consumer", ["m", "out"], ["mr.f1.f.success", "mr.f1.m.replay"], "mr.f1.m"],
    ]);
    expect(p.topics.filter((t) => t.role === "edge").map((t) => t.name)).toEqual(["mr.f1.f.success"]);
    expect(p.edges.map((e) => [e.id, e.mode, e.direct, e.topic, e.consumerGroup, e.partitions, e.queueThreshold])).toEqual([
      ["src-success-f", "durable", "external-in", "in", "mr.f1.src", 3, undefined],
      ["f-success-m", "durable", undefined, "mr.f1.f.success", "mr.f1.m", 3, 1_000_000],
      ["m-success-out", "durable", "external-out", "out-t", undefined, 3, undefined],
    ]);
    expect(p.topics.find((t) => t.name === "in")!.edges).toEqual(["src-success-f"]);
    expect(p.topics.find((t) => t.name === "out-t")!.edges).toEqual(["m-success-out"]);
    // the stage runs the next node in process: the executor routes over `fused`
    expect(p.nodes.find((n) => n.id === "src")!.ports).toEqual([{ port: "success", fused: [{ edge: "src-success-f", node: "f" }], durableEdges: [] }]);
    expect(p.nodes.find((n) => n.id === "m")!.ports.find((x) => x.port === "success")).toEqual({ port: "success", fused: [{ edge: "m-success-out", node: "out" }], durableEdges: [] });
    expect(p.nodes.find((n) => n.id === "out")!.ports.find((x) => x.port === "success")!.externalTopic).toBe("out-t");
    // a direct edge is the stage's own input (or has no queue): only the edge topic is watched
    expect(p.backPressure).toEqual([{ stage: "src", edges: ["f-success-m"] }]);
    expect(hops(p)).toBe(2);
    expect(p.warnings).toEqual([]);
  });

  it("a sink picking each record's topic keeps its edge topic (a tap there sees every record) and plans each topic it may write", () => {
    const p = planFlow(flow([["src", "kafka-source", { topic: "in" }], ["m", "map"], ["out", "kafka-sink", { topic: "orders", topics: ["payments"], topicExpression: "x" }]], [["src", "success", "m"], ["m", "success", "out"]]), catalog);
    expect(p.edges.map((e) => [e.id, e.direct, e.topic])).toEqual([
      ["src-success-m", "external-in", "in"],
      ["m-success-out", undefined, "mr.f1.m.success"],
    ]);
    expect(p.topics.filter((t) => t.role === "external-out").map((t) => t.name)).toEqual(["orders", "payments"]);
    expect(p.nodes.find((n) => n.id === "out")!.ports.find((x) => x.port === "success")).toMatchObject({ externalTopic: "orders", routedTopics: ["payments"] });
  });

  it("directEdges: false plans the shape of older plans (a topic on every durable edge)", () => {
    const p = planFlow(b1(), catalog, { directEdges: false });
    expect(p.stages.map((s) => s.nodes)).toEqual([["src"], ["f"], ["m"], ["out"]]);
    expect(p.edges.every((e) => e.direct === undefined && e.topic?.startsWith("mr.f1."))).toBe(true);
    expect(hops(p)).toBe(4);
  });

  it("fused all the way stays one stage", () => {
    const d = b1();
    for (const e of d.edges) e.settings = { mode: "fused" };
    const p = planFlow(d, catalog);
    expect(p.stages.map((s) => s.nodes)).toEqual([["src", "f", "m", "out"]]);
    expect(p.edges.every((e) => e.mode === "fused")).toBe(true);
    expect(hops(p)).toBe(1);
  });

  it("a kafka-source with several edges keeps its own stage and edge topic", () => {
    const p = planFlow(flow([["src", "kafka-source", { topic: "in" }], ["a", "map"], ["b", "map"]], [["src", "success", "a"], ["src", "success", "b"]]), catalog);
    expect(p.stages.map((s) => s.nodes)).toEqual([["src"], ["a"], ["b"]]);
    expect(p.edges.map((e) => [e.direct, e.topic])).toEqual([
      [undefined, "mr.f1.src.success"],
      [undefined, "mr.f1.src.success"],
    ]);
  });

  it("a kafka-source with a fused edge and a durable one: the durable one keeps its topic", () => {
    const p = planFlow(flow([["src", "kafka-source", { topic: "in" }], ["a", "map"], ["b", "map"]], [["src", "success", "a", "fused"], ["src", "success", "b"]]), catalog);
    expect(p.stages.map((s) => s.nodes)).toEqual([["src", "a"], ["b"]]);
    expect(p.edges.find((e) => e.to === "b")!.topic).toBe("mr.f1.src.success");
  });

  it("a target with several inputs is not joined: a sink fed twice keeps its stage", () => {
    const p = planFlow(
      flow([["gen", "generate"], ["a", "map"], ["b", "map"], ["out", "kafka-sink", { topic: "t" }]], [["gen", "success", "a"], ["gen", "success", "b"], ["a", "success", "out"], ["b", "success", "out"]]),
      catalog,
    );
    expect(p.stages.find((s) => s.id === "out")!.inputs).toEqual(["mr.f1.a.success", "mr.f1.b.success", "mr.f1.out.replay"]);
    expect(p.edges.some((e) => e.direct)).toBe(false);
  });

  it("a port that also feeds another durable edge keeps its topic, and the sink its stage", () => {
    const p = planFlow(flow([["gen", "generate"], ["m", "map"], ["out", "kafka-sink", { topic: "t" }], ["l", "log"]], [["gen", "success", "m"], ["m", "success", "out"], ["m", "success", "l"]]), catalog);
    expect(p.stages.map((s) => s.id)).toEqual(["gen", "m", "out", "l"]);
    expect(p.edges.filter((e) => e.from.node === "m").map((e) => e.topic)).toEqual(["mr.f1.m.success", "mr.f1.m.success"]);
  });

  it("a sink behind a fused sibling is still written directly; its own outgoing edges keep their topics", () => {
    const p = planFlow(
      flow([["gen", "generate"], ["m", "map"], ["out", "kafka-sink", { topic: "t" }], ["l", "log"], ["after", "map"]], [["gen", "success", "m"], ["m", "success", "out"], ["m", "success", "l", "fused"], ["out", "success", "after"]]),
      catalog,
    );
    expect(p.stages.map((s) => [s.id, s.nodes])).toEqual([["gen", ["gen"]], ["m", ["m", "out", "l"]], ["after", ["after"]]]);
    expect(p.edges.find((e) => e.to === "after")!.topic).toBe("mr.f1.out.success");
    expect(p.edges.find((e) => e.to === "out")!.direct).toBe("external-out");
  });

  it("kafka-source → kafka-sink (a mirror) is one stage reading one topic and writing the other", () => {
    const p = planFlow(flow([["src", "kafka-source", { topic: "a" }], ["out", "kafka-sink", { topic: "b" }]], [["src", "success", "out"]]), catalog);
    expect(p.stages.map((s) => [s.nodes, s.inputs])).toEqual([[["src", "out"], ["a", "mr.f1.src.replay"]]]);
    expect(p.edges[0]!.direct).toBe("external-in");
    expect(p.topics.filter((t) => t.role === "edge")).toEqual([]);
  });

  it("a node whose config names another cluster (connection) keeps its stage", () => {
    const d = b1();
    d.nodes[0]!.config = { topic: "in", connection: "other" };
    d.nodes[3]!.config = { topic: "out-t", connection: "other" };
    const p = planFlow(d, catalog);
    expect(p.edges.map((e) => e.direct)).toEqual([undefined, undefined, undefined]);
  });

  it("names a node's connection in the plan and keeps its external topics apart from the engine's cluster", () => {
    const p = planFlow(flow([["src", "kafka-source", { topic: "a", connection: "east" }], ["out", "kafka-sink", { topic: "a", connection: "west" }]], [["src", "success", "out"]]), catalog);
    expect(p.nodes.map((n) => [n.id, n.connection])).toEqual([["src", "east"], ["out", "west"]]);
    expect(p.topics.filter((t) => t.name === "a").map((t) => [t.role, t.connection])).toEqual([["external-in", "east"], ["external-out", "west"]]);
    // the source's consumer is on the other cluster: no replay topic (the flow's own topics are on the engine's)
    expect(p.stages.find((s) => s.id === "src")!.inputs).toEqual(["a"]);
    expect(p.stages.find((s) => s.id === "src")!.replayTopic).toBeUndefined();
  });

  it("a redeploy from the older shape drains the edge topics it no longer writes, with their old groups, until they are read to the end", () => {
    const old = planFlow(b1(), catalog, { directEdges: false });
    const p = planFlow(b1(), catalog, { previous: old });
    const drains = p.stages.filter((s) => s.drain);
    expect(drains.map((s) => [s.id, s.kind, s.head, s.nodes, s.inputs, s.groupId, s.transactionalIdPrefix, s.fromBeginning])).toEqual([
      ["f", "consumer", "f", ["f"], ["mr.f1.src.success"], "mr.f1.f", "mr.f1.f.tx", true],
      ["out", "consumer", "out", ["out"], ["mr.f1.m.success"], "mr.f1.out", "mr.f1.out.tx", true],
    ]);
    // the groups that read them before: their committed offsets say where to go on
    expect(drains.map((s) => s.groupId)).toEqual([old.edges[0]!.consumerGroup, old.edges[2]!.consumerGroup]);
    expect(p.topics.filter((t) => t.role === "edge").map((t) => [t.name, t.from])).toEqual([
      ["mr.f1.f.success", { node: "f", port: "success" }],
      ["mr.f1.m.success", { node: "m", port: "success" }],
      ["mr.f1.src.success", { node: "src", port: "success" }],
    ]);
    expect(p.warnings).toHaveLength(2);
    // still planned on the next redeploy, until the caller finds them read to the end
    expect(planFlow(b1(), catalog, { previous: p }).stages.filter((s) => s.drain).map((s) => s.id)).toEqual(["f", "out"]);
    const later = planFlow(b1(), catalog, { previous: p, drained: new Set(["mr.f1.src.success"]) });
    expect(later.stages.filter((s) => s.drain).map((s) => s.inputs)).toEqual([["mr.f1.m.success"]]);
    // a redeploy of the new shape, or of an edge that was deleted, drains nothing
    expect(planFlow(b1(), catalog, { previous: planFlow(b1(), catalog) }).stages.some((s) => s.drain)).toBe(false);
    const without = b1();
    without.edges = without.edges.filter((e) => e.to.node !== "out");
    expect(planFlow(without, catalog, { previous: old }).stages.map((s) => s.id)).toEqual(["src", "m", "out", "f"]);
  });

  it("exactly-once: the joined sink writes in the stage's transaction (one stage, its transactional ids)", () => {
    const p = planFlow(b1(), catalog, { exactlyOnce: true });
    const m = p.stages.find((s) => s.id === "m")!;
    expect([m.nodes, m.transactionalIdPrefix, p.exactlyOnce]).toEqual([["m", "out"], "mr.f1.m.tx", true]);
  });
});
