import { describe, expect, it } from "vitest";
import type { FlowDocument } from "@millrace/flow";
import { planFlow, type PlannerCatalog } from "./plan.js";

const specs: Record<string, ReturnType<PlannerCatalog["get"]>> = {
  generate: { kind: "source", outputPorts: () => ["success"] },
  filter: { kind: "transform", outputPorts: () => ["success", "failure"] },
  log: { kind: "sink", outputPorts: () => [] },
};
const catalog: PlannerCatalog = { get: (t) => specs[t] };

function doc(): FlowDocument {
  const node = (id: string, type: string) => ({ id, type, typeVersion: 1, config: {}, position: { x: 0, y: 0 } });
  const edge = (from: string, to: string, mode?: "fused") => ({ id: `${from}->${to}`, from: { node: from, port: "success" }, to: { node: to }, ...(mode ? { settings: { mode } } : {}) });
  return {
    schemaVersion: 1,
    id: "f1",
    name: "f",
    nodes: [node("gen", "generate"), node("f", "filter"), node("g", "filter"), node("out", "log")],
    edges: [edge("gen", "f"), edge("f", "g", "fused"), edge("g", "out")],
    parameters: [],
  };
}

describe("process groups and the planner", () => {
  it("plans a grouped flow exactly as the same flow without groups (same stages, same topics)", () => {
    const plain = planFlow(doc(), catalog);
    const grouped = planFlow(
      {
        ...doc(),
        groups: [
          { id: "outer", name: "Outer", nodes: ["gen"], collapsed: true, position: { x: 1, y: 2 } },
          { id: "inner", name: "Inner", nodes: ["f", "g"], parent: "outer", color: "#112233" },
        ],
      },
      catalog,
    );
    expect(grouped).toEqual(plain);
    expect(JSON.stringify(grouped)).not.toContain("outer");
  });
});
