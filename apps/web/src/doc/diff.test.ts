import { describe, expect, it } from "vitest";
import type { FlowDocument } from "@millrace/flow";
import { describeDiff, diffDocs, isBehaviourEqual } from "./diff";

const base: FlowDocument = {
  schemaVersion: 1,
  id: "f",
  name: "F",
  nodes: [
    { id: "gen", type: "generate", typeVersion: 1, config: { count: 1 }, position: { x: 0, y: 0 } },
    { id: "big", type: "filter", typeVersion: 1, config: { expression: "true" }, position: { x: 100, y: 0 } },
  ],
  edges: [{ id: "gen.success->big", from: { node: "gen", port: "success" }, to: { node: "big" } }],
  parameters: [{ name: "token", value: "", sensitive: true }],
} as FlowDocument;

describe("diffDocs", () => {
  it("is empty for the same document", () => {
    const d = diffDocs(base, structuredClone(base));
    expect(isBehaviourEqual(d)).toBe(true);
    expect(describeDiff(d)).toEqual([]);
  });

  it("names added, removed and changed nodes and edges", () => {
    const to: FlowDocument = {
      ...base,
      nodes: [{ ...base.nodes[1]!, config: { expression: "false" } }, { id: "out", type: "log", typeVersion: 1, config: {}, position: { x: 0, y: 0 } }],
      edges: [],
    };
    const d = diffDocs(base, to);
    expect(d.nodesAdded).toEqual(["out"]);
    expect(d.nodesRemoved).toEqual(["gen"]);
    expect(d.nodesChanged).toEqual({ big: ["config"] });
    expect(d.edgesRemoved).toEqual(["gen.success->big"]);
    expect(describeDiff(d)).toEqual(["1 node added: out", "1 node removed: gen", "1 node changed: big (config)", "connections: 1 removed"]);
    expect(isBehaviourEqual(d)).toBe(false);
  });

  it("calls a move a layout change, not a behaviour change", () => {
    const to = { ...base, nodes: base.nodes.map((n) => (n.id === "gen" ? { ...n, position: { x: 5, y: 5 } } : n)) };
    const d = diffDocs(base, to);
    expect(isBehaviourEqual(d)).toBe(true);
    expect(describeDiff(d)).toEqual(["layout only (1 node moved)"]);
  });

  it("compares sensitive parameters by presence, never by value", () => {
    const to = { ...base, parameters: [{ name: "token", value: "typed", sensitive: true }] };
    expect(diffDocs(base, to).parametersChanged).toEqual([]);
    expect(diffDocs(base, { ...base, parameters: [] }).parametersChanged).toEqual(["token"]);
  });

  it("a changed flow default edge mode is a behaviour change", () => {
    const d = diffDocs(base, { ...base, settings: { defaultEdgeMode: "fused" } });
    expect(isBehaviourEqual(d)).toBe(false);
    expect(describeDiff(d)).toEqual(["flow settings"]);
  });
});
