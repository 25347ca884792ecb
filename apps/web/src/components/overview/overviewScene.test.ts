import { describe, expect, it } from "vitest";
import type { FlowEdge, FlowNode, NodeDiff } from "@millrace/flow";
import { buildScene, edgesTouching, type SceneInput } from "./overviewScene";
import { estimatedUntilMeasured, hiddenForOverview } from "./overviewNodes";
import type { ProcessorRFNode } from "../ProcessorNode";

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

describe("React Flow's nodes of a big flow zoomed in, before it measured them", () => {
  const rf = (id: string, ports: string[], hasInput: boolean, measured?: { width: number; height: number }) =>
    ({ id, type: "processor", position: { x: 0, y: 0 }, data: { type: "filter", title: id, ports, hasInput }, ...(measured ? { measured } : {}) }) as ProcessorRFNode;

  it("get a size and handles estimated from their ports (so only those in view are rendered to be measured)", () => {
    const [est] = estimatedUntilMeasured([rf("f", ["success", "failure"], true)], new WeakMap());
    expect(est!.initialWidth).toBe(210);
    expect(est!.initialHeight).toBe(96);
    expect(est!.handles!.map((h) => [h.id, h.type, h.position, h.y])).toEqual([
      ["success", "source", "right", 51],
      ["failure", "source", "right", 71],
      ["in", "target", "left", 19.5],
    ]);
    // a source has no input handle
    expect(estimatedUntilMeasured([rf("s", ["success"], false)], new WeakMap())[0]!.handles!.map((h) => h.id)).toEqual(["success"]);
  });

  it("are left alone once measured (React Flow keeps the handles it measured), and kept per node object", () => {
    const measured = rf("m", ["success"], true, { width: 210, height: 80 });
    expect(estimatedUntilMeasured([measured], new WeakMap())[0]).toBe(measured);
    const cache = new WeakMap<ProcessorRFNode, ProcessorRFNode>();
    const n = rf("n", ["success"], true);
    expect(estimatedUntilMeasured([n], cache)[0]).toBe(estimatedUntilMeasured([n], cache)[0]);
  });
});
