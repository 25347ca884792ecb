import { describe, expect, it } from "vitest";
import type { FlowDocument } from "@millrace/flow";
import { groupView } from "./groupView";

const node = (id: string, x: number) => ({ id, type: "map", typeVersion: 1, config: {}, position: { x, y: 0 } });
const edge = (from: string, to: string, port = "success") => ({ id: `${from}-${to}`, from: { node: from, port }, to: { node: to } });
// gen → a → b → out, and a.failure → out
const base: FlowDocument = {
  schemaVersion: 1,
  id: "f",
  name: "f",
  nodes: [node("gen", 0), node("a", 300), node("b", 600), node("out", 900)],
  edges: [edge("gen", "a"), edge("a", "b"), edge("b", "out"), edge("a", "out", "failure")],
  parameters: [],
};

describe("groupView", () => {
  it("a flow without groups is drawn from the document's own arrays", () => {
    const v = groupView(base, undefined);
    expect(v.nodes).toBe(base.nodes);
    expect(v.edges).toBe(base.edges);
    expect(v.boxes).toEqual([]);
  });

  it("a collapsed group is one box whose ports are the edges crossing its boundary", () => {
    const v = groupView({ ...base, groups: [{ id: "g", name: "Mid", nodes: ["a", "b"], collapsed: true }] }, undefined);
    expect(v.nodes.map((n) => n.id)).toEqual(["gen", "out"]);
    expect(v.edges).toEqual([]);
    expect(v.boxes).toHaveLength(1);
    const box = v.boxes[0]!;
    expect(box.position).toEqual({ x: 300, y: 0 });
    expect(box.inputs.map((p) => p.handle)).toEqual(["in:a"]);
    expect(box.outputs.map((p) => p.handle)).toEqual(["out:b.success", "out:a.failure"]);
    expect(v.boxEdges.map((b) => [b.edge.id, b.source, b.sourceHandle, b.target, b.targetHandle])).toEqual([
      ["gen-a", "gen", "success", "group:g", "in:a"],
      ["b-out", "group:g", "out:b.success", "out", "in"],
      ["a-out", "group:g", "out:a.failure", "out", "in"],
    ]);
  });

  it("an expanded group is a frame around its nodes; a nested one inside its parent's", () => {
    const v = groupView(
      { ...base, groups: [{ id: "outer", name: "O", nodes: ["a"] }, { id: "inner", name: "I", nodes: ["b"], parent: "outer" }] },
      undefined,
      {},
    );
    expect(v.nodes).toHaveLength(4);
    expect(v.edges).toHaveLength(4);
    const [outer, inner] = [v.frames.find((f) => f.group.id === "outer")!, v.frames.find((f) => f.group.id === "inner")!];
    expect(outer.position.x).toBeLessThan(inner.position.x);
    expect(outer.position.x + outer.width).toBeGreaterThanOrEqual(inner.position.x + inner.width);
    expect(v.frames[0]!.group.id).toBe("outer"); // drawn first, behind
  });

  it("opening a group shows only its contents, nested collapsed groups as boxes, with the path to it", () => {
    const doc = { ...base, groups: [{ id: "outer", name: "O", nodes: ["a"], collapsed: true }, { id: "inner", name: "I", nodes: ["b"], parent: "outer", collapsed: true }] };
    const top = groupView(doc, undefined);
    expect(top.boxes.map((b) => b.group.id)).toEqual(["outer"]);
    expect(top.boxes[0]!.nodeCount).toBe(2);
    const opened = groupView(doc, "outer");
    expect(opened.path.map((g) => g.id)).toEqual(["outer"]);
    expect(opened.nodes.map((n) => n.id)).toEqual(["a"]);
    expect(opened.boxes.map((b) => b.group.id)).toEqual(["inner"]);
    expect(opened.boxEdges.map((b) => b.edge.id)).toEqual(["a-b"]);
    expect(groupView(doc, "inner").path.map((g) => g.id)).toEqual(["outer", "inner"]);
    // a group gone (an undo): the whole flow
    expect(groupView(doc, "gone").path).toEqual([]);
  });
});
