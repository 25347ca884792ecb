import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { FlowDocument } from "@millrace/flow";
import { addNode, canConnect, connect, emptyDocument, moveNodes, nextNodeId, removeElements, updateEdgeSettings } from "./ops";
import { copySelection, parseClip, prepareClip } from "./clipboard";
import { validateForCanvas } from "./validate";

const node = (id: string, type = "filter", x = 0) => ({ id, type, typeVersion: 1, config: {}, position: { x, y: 0 } });

function sample(): FlowDocument {
  let d = emptyDocument("f1", "Flow");
  d = addNode(d, node("generate-1", "generate"));
  d = addNode(d, node("filter-1", "filter", 200));
  d = addNode(d, node("log-1", "log", 400));
  d = connect(d, { node: "generate-1", port: "success" }, { node: "filter-1" });
  d = connect(d, { node: "filter-1", port: "success" }, { node: "log-1" });
  return d;
}

describe("ops", () => {
  it("connects once, refuses self loops, cycles and missing nodes", () => {
    const d = sample();
    expect(d.edges.length).toBe(2);
    expect(d.edges[0].id).toBe("generate-1.success->filter-1");
    expect(() => connect(d, { node: "filter-1", port: "success" }, { node: "log-1" })).toThrow(/already connected/);
    expect(() => connect(d, { node: "filter-1", port: "success" }, { node: "filter-1" })).toThrow();
    expect(() => connect(d, { node: "nope", port: "success" }, { node: "log-1" })).toThrow();
    expect(canConnect(d, { node: "generate-1", port: "success" }, { node: "log-1" }).ok).toBe(true);
    expect(canConnect(d, { node: "filter-1", port: "failure" }, { node: "generate-1" })).toMatchObject({ ok: false, code: "cycle" });
  });

  it("removes nodes with their edges", () => {
    const d = removeElements(sample(), ["filter-1"]);
    expect(d.nodes.map((n) => n.id)).toEqual(["generate-1", "log-1"]);
    expect(d.edges).toEqual([]);
  });

  it("moves only what changed and keeps identity otherwise", () => {
    const d = sample();
    expect(moveNodes(d, { "log-1": { x: 400, y: 0 } })).toBe(d);
    expect(moveNodes(d, { "log-1": { x: 5, y: 6 } }).nodes[2].position).toEqual({ x: 5, y: 6 });
  });

  it("cleans edge settings", () => {
    const d = sample();
    const id = d.edges[0].id;
    const d2 = updateEdgeSettings(d, id, { mode: "fused", partitions: undefined });
    expect(d2.edges[0].settings).toEqual({ mode: "fused" });
    expect(updateEdgeSettings(d2, id, { mode: undefined }).edges[0].settings).toBeUndefined();
  });

  it("makes readable unique node ids", () => {
    expect(nextNodeId(sample(), "filter")).toBe("filter-2");
  });
});

describe("clipboard", () => {
  it("copies inner edges only and pastes with fresh ids", () => {
    const d = sample();
    const clip = copySelection(d, ["filter-1", "log-1"])!;
    expect(clip.edges.length).toBe(1);
    const again = parseClip(JSON.stringify(clip))!;
    const { nodes, edges } = prepareClip(d, again, { offset: { x: 10, y: 10 } });
    expect(nodes.map((n) => n.id)).toEqual(["filter-2", "log-2"]);
    expect(nodes[0].position).toEqual({ x: 210, y: 10 });
    expect(edges).toEqual([{ id: "filter-2.success->log-2", from: { node: "filter-2", port: "success" }, to: { node: "log-2" } }]);
    expect(parseClip("{\"nodes\":[]}")).toBeNull();
    expect(parseClip("not json")).toBeNull();
  });
});

describe("validateForCanvas", () => {
  const specs: Record<string, any> = {
    generate: { type: "generate", version: 1, kind: "source", title: "Generate", hasInput: false, configSchema: z.object({}), outputPorts: () => ["success"] },
    filter: { type: "filter", version: 1, kind: "transform", title: "Filter", hasInput: true, configSchema: z.object({ expression: z.string().min(1) }), outputPorts: () => ["success", "failure"] },
    log: { type: "log", version: 1, kind: "sink", title: "Log", hasInput: true, configSchema: z.object({}), outputPorts: () => [] },
  };
  const catalog = { get: (t: string) => specs[t], list: () => Object.values(specs) };
  it("reports config issues from the schema and missing inputs", () => {
    let d = sample();
    d = addNode(d, node("filter-2", "filter"));
    const p = validateForCanvas(d, catalog);
    expect(p.nodes["filter-1"]).toEqual(["config.expression: required"]);
    expect(p.nodes["filter-2"]).toContain("needs an input connection");
    expect(p.nodes["generate-1"]).toBeUndefined();
    expect(p.count).toBe(3);
  });
  it("reports bad ports and edges into sources", () => {
    let d = sample();
    d = { ...d, nodes: d.nodes.map((n) => (n.type === "filter" ? { ...n, config: { expression: "true" } } : n)) };
    d = { ...d, edges: [...d.edges, { id: "x", from: { node: "filter-1", port: "nope" }, to: { node: "generate-1" } }] };
    const p = validateForCanvas(d, catalog);
    expect(p.edges["x"].join()).toMatch(/no output port "nope"/);
    expect(p.edges["x"].join()).toMatch(/takes no input/);
  });
});
