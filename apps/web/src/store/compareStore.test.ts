import { describe, expect, it } from "vitest";
import type { FlowDocument } from "@millrace/flow";
import { buildComparison } from "./compareStore";

const older: FlowDocument = {
  schemaVersion: 1,
  id: "f",
  name: "F",
  nodes: [
    { id: "gen", type: "generate", typeVersion: 1, config: { count: 1 }, position: { x: 0, y: 0 } },
    { id: "out", type: "log", typeVersion: 1, config: {}, position: { x: 300, y: 40 } },
  ],
  edges: [{ id: "gen.success->out", from: { node: "gen", port: "success" }, to: { node: "out" } }],
  parameters: [],
};
const newer: FlowDocument = {
  ...older,
  nodes: [{ ...older.nodes[0]!, config: { count: 2 } }, { id: "map-1", type: "map", typeVersion: 1, config: { expression: "value" }, position: { x: 300, y: 200 } }],
  edges: [{ id: "gen.success->map-1", from: { node: "gen", port: "success" }, to: { node: "map-1" } }],
};

describe("buildComparison", () => {
  it("draws the newer document with the removed nodes and edges back as ghosts at their old places, each element with its status", () => {
    const c = buildComparison({ label: "v1", doc: older }, { label: "v2", doc: newer });
    expect(c.drawn.nodes.map((n) => n.id)).toEqual(["gen", "map-1", "out"]);
    expect(c.drawn.nodes[2]!.position).toEqual({ x: 300, y: 40 });
    expect(c.drawn.edges.map((e) => e.id)).toEqual(["gen.success->map-1", "gen.success->out"]);
    expect([...c.nodes].map(([id, d]) => `${id} ${d.status}`)).toEqual(["gen changed", "map-1 added", "out removed"]);
    expect([...c.edges].map(([id, d]) => `${id} ${d.status}`)).toEqual(["gen.success->map-1 added", "gen.success->out removed"]);
    expect(c.nodes.get("gen")!.changes).toEqual([{ path: "config.count", kind: "changed", from: 1, to: 2 }]);
  });

  it("compares documents of one flow even when the editor's copy carries another id", () => {
    const c = buildComparison({ label: "v1", doc: older }, { label: "the editor", doc: { ...older, id: "other" } });
    expect(c.diff.flow).toEqual([]);
    expect(c.nodes.size + c.edges.size).toBe(0);
  });
});
