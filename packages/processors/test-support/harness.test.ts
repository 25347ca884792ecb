import { describe, expect, it } from "vitest";
import type { FlowDocument } from "@millrace/flow";
import { runFlowInMemory } from "./harness.js";
import { HEADER } from "../src/sdk.js";

const pos = { x: 0, y: 0 };
const node = (id: string, type: string, config: Record<string, unknown>) => ({ id, type, typeVersion: 1, config, position: pos });
const edge = (from: string, port: string, to: string) => ({ id: `${from}.${port}->${to}`, from: { node: from, port }, to: { node: to } });

function ordersFlow(): FlowDocument {
  return {
    schemaVersion: 1,
    id: "orders",
    name: "orders",
    nodes: [
      node("gen", "generate", { count: 20, ratePerSec: 0, template: '{ "id": $i, "amount": $i * 100, "country": $i % 2 = 0 ? "NL" : "DE" }' }),
      node("keep", "filter", { expression: "value.id != 13" }),
      node("shape", "map", { expression: '{ "id": value.id, "eur": value.amount / 100, "country": value.country }' }),
      node("split", "route", {
        routes: [
          { name: "big", expression: "value.eur >= 15" },
          { name: "nl", expression: 'value.country = "NL"' },
        ],
      }),
      node("big", "kafka-sink", { topic: "#{prefix}.big", keyExpression: "value.id" }),
      node("nl", "kafka-sink", { topic: "#{prefix}.nl" }),
      node("rest", "log", {}),
    ],
    edges: [edge("gen", "success", "keep"), edge("keep", "success", "shape"), edge("shape", "success", "split"), edge("split", "big", "big"), edge("split", "nl", "nl"), edge("split", "unmatched", "rest")],
    parameters: [{ name: "prefix", value: "out", sensitive: false }],
  };
}

describe("runFlowInMemory", () => {
  it("runs generate → filter → map → route → sinks with the expected contents", async () => {
    const r = await runFlowInMemory(ordersFlow(), { batchSize: 7 });
    expect(r.stoppedBy).toBe("idle");
    expect(r.outputs.gen.success).toHaveLength(20);
    expect(r.outputs.keep.success).toHaveLength(19);
    expect(r.topics["out.big"].map((x) => x.value)).toEqual([15, 16, 17, 18, 19].map((i) => ({ id: i, eur: i, country: i % 2 === 0 ? "NL" : "DE" })));
    expect(r.topics["out.big"].map((x) => x.key)).toEqual(["15", "16", "17", "18", "19"]);
    expect(r.topics["out.nl"].map((x) => (x.value as { id: number }).id)).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
    expect(r.received.rest.map((x) => (x.value as { id: number }).id)).toEqual([1, 3, 5, 7, 9, 11]);
    expect(r.checkpoints.gen).toBe(20);
  });
  it("stamps lineage so a sink record leads back to its generated ancestor", async () => {
    const r = await runFlowInMemory(ordersFlow());
    const all = new Map<string, { node: string; parents?: string }>();
    for (const [nodeId, ports] of Object.entries(r.outputs))
      for (const recs of Object.values(ports)) for (const x of recs) all.set(x.headers[HEADER.id], { node: nodeId, parents: x.headers[HEADER.parents] });
    const out = r.topics["out.big"][0];
    const chain: string[] = [];
    let id: string | undefined = out.headers[HEADER.id];
    while (id) {
      const e: { node: string; parents?: string } = all.get(id)!;
      chain.push(e.node);
      id = e.parents;
    }
    expect(chain).toEqual(["big", "split", "shape", "keep", "gen"]);
    expect(all.size).toBe(new Set(all.keys()).size);
  });
  it("reads kafka-source input topics, sends failures down a failure edge", async () => {
    const doc: FlowDocument = {
      schemaVersion: 1,
      id: "f2",
      name: "f2",
      nodes: [
        node("in", "kafka-source", { topic: "raw" }),
        node("items", "flat-map", { expression: "value.items" }),
        node("out", "kafka-sink", { topic: "items" }),
        node("dlq", "kafka-sink", { topic: "dlq" }),
      ],
      edges: [edge("in", "success", "items"), edge("items", "success", "out"), edge("items", "failure", "dlq")],
      parameters: [],
    };
    const r = await runFlowInMemory(doc, {
      inputs: { raw: [{ key: "a", value: { items: [1, 2] }, headers: {} }, { value: { items: "nope" }, headers: {} }, { value: { items: [3] }, headers: {} }] },
    });
    expect(r.topics.items.map((x) => [x.key, x.value])).toEqual([["a", 1], ["a", 2], [undefined, 3]]);
    expect(r.topics.dlq).toHaveLength(1);
    expect(r.topics.dlq[0].headers[HEADER.error]).toMatch(/did not produce an array/);
    expect(r.topics.dlq[0].headers[HEADER.errorNode]).toBe("items");
    expect(r.checkpoints.in).toBe(3);
  });
  it("bounds an endless source with maxRecords; feeds http-listen", async () => {
    const doc: FlowDocument = {
      schemaVersion: 1,
      id: "f3",
      name: "f3",
      nodes: [node("gen", "generate", { count: 0, template: "$i" }), node("http", "http-listen", { path: "/hook" }), node("js", "javascript", { code: "return value * 10" }), node("sink", "kafka-sink", { topic: "t" })],
      edges: [edge("gen", "success", "js"), edge("http", "success", "js"), edge("js", "success", "sink")],
      parameters: [],
    };
    const r = await runFlowInMemory(doc, { maxRecords: 50, batchSize: 10, httpRequests: { "/hook": [{ value: 1000, headers: {} }] } });
    expect(r.stoppedBy).toBe("maxRecords");
    expect(r.topics.t).toHaveLength(50);
    expect(r.topics.t.map((x) => x.value)).toContain(10000);
  });
  it("rejects a node with a bad config, naming the node", async () => {
    const doc = { ...ordersFlow(), nodes: [node("x", "filter", { expression: "(" })], edges: [] };
    await expect(runFlowInMemory(doc)).rejects.toThrow(/node x: invalid config for filter/);
  });
});
