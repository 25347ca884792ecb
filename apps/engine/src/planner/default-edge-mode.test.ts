import { describe, expect, it } from "vitest";
import type { FlowDocument } from "@millrace/flow";
import { planFlow, type PlannerCatalog } from "./plan.js";

const specs: Record<string, ReturnType<PlannerCatalog["get"]>> = {
  generate: { kind: "source", outputPorts: () => ["success"] },
  filter: { kind: "transform", outputPorts: () => ["success", "failure"] },
  map: { kind: "transform", outputPorts: () => ["success", "failure"] },
  log: { kind: "sink", outputPorts: () => [] },
};
const catalog: PlannerCatalog = { get: (t) => specs[t] };

// gen → f → m → log, and gen → m2 → m (m has two inputs: it cannot be fused)
function doc(settings?: FlowDocument["settings"], edgeMode?: "durable" | "fused"): FlowDocument {
  const node = (id: string, type: string) => ({ id, type, typeVersion: 1, config: {}, position: { x: 0, y: 0 } });
  const edge = (from: string, to: string, mode?: "durable" | "fused") => ({ id: `${from}->${to}`, from: { node: from, port: "success" }, to: { node: to }, ...(mode ? { settings: { mode } } : {}) });
  const d: FlowDocument = {
    schemaVersion: 1,
    id: "f1",
    name: "f",
    nodes: [node("gen", "generate"), node("f", "filter"), node("m", "map"), node("m2", "map"), node("out", "log")],
    edges: [edge("gen", "f"), edge("f", "m"), edge("gen", "m2"), edge("m2", "m"), edge("m", "out", edgeMode)],
    parameters: [],
  };
  if (settings) d.settings = settings;
  return d;
}
const modes = (d: FlowDocument) => Object.fromEntries(planFlow(d, catalog).edges.map((e) => [e.id, `${e.requested}/${e.mode}`]));

describe("the flow's defaultEdgeMode", () => {
  it("absent or durable: every edge durable, as a document without settings always planned", () => {
    const before = planFlow(doc(), catalog);
    expect(planFlow(doc({ defaultEdgeMode: "durable" }), catalog)).toEqual(before);
    expect(before.edges.every((e) => e.mode === "durable" && e.requested === "durable")).toBe(true);
  });

  it("fused: fuses every edge that can be, leaves the rest durable without a warning", () => {
    const p = planFlow(doc({ defaultEdgeMode: "fused" }), catalog);
    expect(modes(doc({ defaultEdgeMode: "fused" }))).toEqual({
      "gen->f": "fused/fused",
      "f->m": "fused/durable", // m has two inputs
      "gen->m2": "fused/fused",
      "m2->m": "fused/durable",
      "m->out": "fused/fused",
    });
    expect(p.warnings).toEqual([]);
    expect(p.stages.map((s) => [s.id, s.nodes])).toEqual([["gen", ["gen", "f", "m2"]], ["m", ["m", "out"]]]);
  });

  it("an edge's own mode overrides the default, either way", () => {
    expect(modes(doc({ defaultEdgeMode: "fused" }, "durable"))["m->out"]).toBe("durable/durable");
    expect(modes(doc(undefined, "fused"))["m->out"]).toBe("fused/fused");
  });
});
