import { describe, expect, it } from "vitest";
import type { FlowEdge, FlowNode, NodeDiff } from "@millrace/flow";
import { buildScene, edgesTouching, type SceneInput } from "./overviewScene";
import { hiddenForOverview } from "./overviewNodes";

const node = (id: string, type: string, x: number, y: number, name?: string): FlowNode => ({ id, type, typeVersion: 1, config: {}, position: { x, y }, ...(name ? { name } : {}) }) as FlowNode;
const edge = (id: string, from: string, to: string, port = "success"): FlowEdge => ({ id, from: { node: from, port }, to: { node: to } }) as FlowEdge;

const input = (over: Partial<SceneInput> = {}): SceneInput => ({
  nodes: [node("src", "kafka-source", 0, 0), node("f", "filter", 260, 0, "A very long filter name for the box"), node("out", "kafka-sink", 520, 0)],
  edges: [edge("e1", "src", "f"), edge("e2", "f", "out"), edge("e3", "f", "out", "failure"), edge("dangling", "f", "gone")],
  kindOf: (t) => (t === "kafka-source" ? "source" : t === "kafka-sink" ? "sink" : t === "filter" ? "transform" : undefined),
  titleOf: (n) => n.name ?? n.type,
  selectedNodes: new Set(),
  selectedEdges: new Set(),
  invalidNodes: () => false,
  invalidEdges: () => false,
  lineageNodes: new Set(),
  lineageHover: null,
  lineagePairs: new Set(),
  marks: {},
  diffs: null,
  pending: null,
  ...over,
});

describe("the overview's scene", () => {
  it("has a low-detail box per node, with its kind, a title cut to fit, and the node's look", () => {
    const s = buildScene(input({ selectedNodes: new Set(["f"]), invalidNodes: (id) => id === "out", marks: { src: "fail" }, lineageNodes: new Set(["out"]), diffs: new Map([["f", { status: "changed" } as NodeDiff]]) }));
    expect(s.nodes.map((n) => [n.id, n.x, n.y, n.w, n.h, n.kind])).toEqual([
      ["src", 0, 0, 210, 44, "source"],
      ["f", 260, 0, 210, 44, "transform"],
      ["out", 520, 0, 210, 44, "sink"],
    ]);
    expect(s.nodes[1]!.title).toBe("A very long filter…");
    expect(s.nodes.map((n) => [n.selected, n.invalid, n.lineage, n.mark, n.diff])).toEqual([
      [false, false, false, "fail", undefined],
      [true, false, false, undefined, "changed"],
      [false, true, true, undefined, undefined],
    ]);
  });

  it("draws edges between known nodes by index, each with one look (lineage over selection over problems over failure)", () => {
    const s = buildScene(input({ selectedEdges: new Set(["e2"]), invalidEdges: (id) => id === "e1", lineagePairs: new Set(["f|out"]) }));
    expect(s.edges.map((e) => [e.id, e.from, e.to, e.look])).toEqual([
      ["e1", 0, 1, "invalid"],
      ["e2", 1, 2, "lineage"],
      ["e3", 1, 2, "lineage"],
    ]);
    expect(buildScene(input()).edges.map((e) => e.look)).toEqual(["plain", "plain", "failure"]);
  });

  it("places a node at a pending (uncommitted) position when there is one", () => {
    const s = buildScene(input({ pending: { f: { x: 300, y: 40 } } }));
    expect(s.nodes[1]).toMatchObject({ x: 300, y: 40 });
    expect(s.nodes[0]).toMatchObject({ x: 0, y: 0 });
  });

  it("finds the edges a drag of some nodes redraws", () => {
    const s = buildScene(input());
    expect(edgesTouching(s, new Set([0]))).toEqual([0]);
    expect(edgesTouching(s, new Set([2]))).toEqual([1, 2]);
    expect(edgesTouching(s, new Set())).toEqual([]);
  });
});

describe("React Flow's nodes under the overview", () => {
  it("are hidden copies with the box's size and no measured size, kept per node object", () => {
    const a = { id: "a", position: { x: 0, y: 0 }, data: {}, measured: { width: 210, height: 120 } };
    const b = { id: "b", position: { x: 1, y: 1 }, data: {} };
    const cache = new WeakMap();
    const first = hiddenForOverview([a, b], cache);
    expect(first[0]).toEqual({ id: "a", position: { x: 0, y: 0 }, data: {}, hidden: true, width: 210, height: 44 });
    expect(a.measured).toEqual({ width: 210, height: 120 }); // the original is untouched
    const again = hiddenForOverview([a, { ...b }], cache);
    expect(again[0]).toBe(first[0]);
    expect(again[1]).not.toBe(first[1]);
  });
});
