import { describe, expect, it } from "vitest";
import type { FlowDocument } from "@millrace/flow";
import { repartitionedTables, stateInputTopics, withInputPartitions } from "./input-partitions.js";
import { planFlow, type PlannerCatalog } from "./plan.js";

const specs: Record<string, ReturnType<PlannerCatalog["get"]>> = {
  "kafka-source": { kind: "source", outputPorts: () => ["success"], externalTopic: (c) => c.topic, inputValues: () => "pass" },
  count: { kind: "transform", outputPorts: () => ["success", "failure"], stateful: {}, inputValues: () => "none" },
  map: { kind: "transform", outputPorts: () => ["success", "failure"] },
  "set-key": { kind: "transform", outputPorts: () => ["success", "failure"] },
  table: { kind: "transform", outputPorts: () => ["success", "failure"], stateful: { rekeyBy: (c) => c.key } },
};
const catalog: PlannerCatalog = { get: (t) => specs[t] };

function flow(nodes: [string, string, object?][], edges: [string, string, string, "fused"?][]): FlowDocument {
  return {
    schemaVersion: 1,
    id: "f1",
    name: "f",
    nodes: nodes.map(([id, type, config]) => ({ id, type, typeVersion: 1, config: (config ?? {}) as Record<string, unknown>, position: { x: 0, y: 0 } })),
    edges: edges.map(([from, port, to, mode]) => ({ id: `${from}-${to}`, from: { node: from, port }, to: { node: to }, ...(mode ? { settings: { mode } } : {}) })),
    parameters: [],
  };
}

describe("stateful nodes in the plan", () => {
  it("re-keys by the node's expression before it, through a keyed topic, and gives it a changelog with the same partitions", () => {
    const p = planFlow(flow([["in", "kafka-source", { topic: "orders" }], ["t", "table", { key: "value.customer" }]], [["in", "success", "t", "fused"]]), catalog, { directEdges: true });
    const rekey = p.nodes.find((n) => n.id === "t__key")!;
    expect(rekey.type).toBe("set-key");
    expect(rekey.config).toEqual({ expression: "value.customer" });
    // the source's edge now feeds the re-keying step (direct, in the source's stage); the table heads its own stage
    expect(p.stages.find((s) => s.head === "t")!.inputs).toEqual(["mr.f1.t__key.success"]);
    const keyed = p.topics.find((t) => t.name === "mr.f1.t__key.success")!;
    expect(keyed.keyed).toBe(true);
    expect(p.nodes.find((n) => n.id === "t")!.state).toEqual({ changelogTopic: "mr.f1.t.changelog", partitions: keyed.partitions });
    expect(p.topics.find((t) => t.name === "mr.f1.t.changelog")).toMatchObject({ role: "changelog", partitions: keyed.partitions });
    // it carries event time, maybe old: bounded by the purge of what was read (and a size bound), not by time
    expect(planFlow(flow([["in", "kafka-source", { topic: "orders" }], ["t", "table", { key: "value.customer" }]], [["in", "success", "t"]]), catalog, { retention: { edge: { minutes: 60, mb: 5 }, deadLetter: { minutes: 60, mb: 5 } } }).topics.find((t) => t.keyed)!.retention).toEqual({ minutes: 0, mb: 5 });
    // a replayed record would reach the wrong partition's table: no replay topic for it
    expect(p.stages.find((s) => s.head === "t")!.replayTopic).toBeUndefined();
  });

  it("keeps the record key without an expression, and never fuses into a stateful node", () => {
    const p = planFlow(flow([["in", "kafka-source", { topic: "orders" }], ["m", "map"], ["t", "table", {}]], [["in", "success", "m"], ["m", "success", "t", "fused"]]), catalog);
    expect(p.nodes.some((n) => n.id.endsWith("__key"))).toBe(false);
    expect(p.edges.find((e) => e.id === "m-t")!.mode).toBe("durable");
    expect(p.warnings.join("\n")).toContain('node "t" keeps a table per input partition');
    expect(p.topics.find((t) => t.name === "mr.f1.m.success")!.keyed).toBe(true);
  });

  it("reads a kafka-source's topic directly when keyed by the record key (no edge topic), partitioned like that topic once deployed", () => {
    const p = planFlow(flow([["in", "kafka-source", { topic: "orders" }], ["t", "table", {}]], [["in", "success", "t"]]), catalog);
    expect(p.edges.find((e) => e.id === "in-t")).toMatchObject({ mode: "durable", direct: "external-in", topic: "orders" });
    expect(p.stages).toHaveLength(1);
    expect(p.stages[0]).toMatchObject({ kind: "kafka-source", head: "in", nodes: ["in", "t"], inputs: ["orders"] });
    // replaying into the source's stage would put records in the replay partition's table
    expect(p.stages[0]!.replayTopic).toBeUndefined();
    expect(p.topics.some((t) => t.role === "edge")).toBe(false);
    expect(p.nodes.find((n) => n.id === "t")!.state).toEqual({ changelogTopic: "mr.f1.t.changelog", partitions: 3, inputTopic: "orders" });
    expect(stateInputTopics(p)).toEqual(["orders"]);
    const deployed = withInputPartitions(p, new Map([["orders", 7]]));
    expect(deployed.nodes.find((n) => n.id === "t")!.state!.partitions).toBe(7);
    expect(deployed.topics.find((t) => t.name === "mr.f1.t.changelog")!.partitions).toBe(7);
    // a topic Kafka does not have yet is created with the planned count: the plan stays
    expect(withInputPartitions(p, new Map())).toBe(p);
    // a changelog built in other partitions than the plan reads: refused by the deployment
    expect(repartitionedTables(deployed, new Map([["mr.f1.t.changelog", 3]]))).toEqual([{ nodeId: "t", changelogTopic: "mr.f1.t.changelog", has: 3, wants: 7, inputTopic: "orders" }]);
    expect(repartitionedTables(deployed, new Map([["mr.f1.t.changelog", 7]]))).toEqual([]);
  });

  it("keeps a table on its edge topic when the running deployment read one (same partitioning, no second writer draining it)", () => {
    const doc = flow([["in", "kafka-source", { topic: "orders" }], ["t", "table", {}]], [["in", "success", "t"]]);
    const before = planFlow(doc, catalog, { directEdges: false });
    expect(before.edges[0]!.topic).toBe("mr.f1.in.success");
    const redeployed = planFlow(doc, catalog, { previous: before });
    expect(redeployed.edges[0]).toMatchObject({ mode: "durable", topic: "mr.f1.in.success" });
    expect(redeployed.edges[0]!.direct).toBeUndefined();
    expect(redeployed.stages.filter((s) => s.nodes.includes("t"))).toHaveLength(1);
    // a new deployment (or one that read it directly) reads the source's topic
    expect(planFlow(doc, catalog, { previous: planFlow(doc, catalog) }).edges[0]!.direct).toBe("external-in");
  });

  it("lets a stage skip parsing values when no node reads the records it consumes", () => {
    const unread = (d: FlowDocument) => Object.fromEntries(planFlow(d, catalog).stages.map((s) => [s.id, s.valuesUnread === true]));
    // the source passes records on, the count reads keys only: nothing reads a value
    expect(unread(flow([["in", "kafka-source", { topic: "orders" }], ["n", "count"]], [["in", "success", "n"]]))).toEqual({ in: true });
    // a table stores values
    expect(unread(flow([["in", "kafka-source", { topic: "orders" }], ["t", "table", {}]], [["in", "success", "t"]]))).toEqual({ in: false });
    // the count's failures (records as they came) go to a map in its stage: that one reads them
    const failuresRead = flow([["in", "kafka-source", { topic: "orders" }], ["n", "count"], ["m", "map"]], [["in", "success", "n"], ["n", "failure", "m", "fused"]]);
    expect(unread(failuresRead)).toEqual({ in: false });
    // its results are new records: a map reading them does not need the consumed values
    const resultsRead = flow([["in", "kafka-source", { topic: "orders" }], ["n", "count"], ["m", "map"]], [["in", "success", "n"], ["n", "success", "m", "fused"]]);
    expect(unread(resultsRead)).toEqual({ in: true });
  });

  it("refuses a node id that clashes with the re-keying step", () => {
    expect(() => planFlow(flow([["in", "kafka-source", { topic: "o" }], ["t", "table", { key: "value.k" }], ["t__key", "map"]], [["in", "success", "t"]]), catalog)).toThrow('node "t__key" clashes with the re-keying step');
  });
});

describe("joins in the plan", () => {
  const withJoin: PlannerCatalog = { get: (t) => (t === "join" ? { kind: "transform", outputPorts: () => ["success", "failure"], lookup: (c) => (c.table ? { node: c.table } : { topic: c.topic }) } : specs[t]) };
  it("point at the changelog of the table node they name, or at a compacted topic", () => {
    const p = planFlow(flow([["c", "kafka-source", { topic: "customers" }], ["t", "table", {}], ["o", "kafka-source", { topic: "orders" }], ["j", "join", { table: "t" }]], [["c", "success", "t"], ["o", "success", "j"]]), withJoin);
    expect(p.nodes.find((n) => n.id === "j")!.lookup).toEqual({ topic: "mr.f1.t.changelog", changelog: true });
    const q = planFlow(flow([["o", "kafka-source", { topic: "orders" }], ["j", "join", { topic: "customers" }]], [["o", "success", "j"]]), withJoin);
    expect(q.nodes.find((n) => n.id === "j")!.lookup).toEqual({ topic: "customers", changelog: false });
  });
  it("refuse a table that is no table or aggregate node", () => {
    expect(() => planFlow(flow([["o", "kafka-source", { topic: "orders" }], ["m", "map"], ["j", "join", { table: "m" }]], [["o", "success", "j"]]), withJoin)).toThrow('node "j": "m" is not a table or aggregate node of this flow');
  });
});
