import { describe, expect, it } from "vitest";
import { DEFAULT_QUEUE_THRESHOLD, type FlowDocument } from "@millrace/flow";
import { planFlow, type PlannerCatalog } from "./plan.js";

const specs: Record<string, ReturnType<PlannerCatalog["get"]>> = {
  generate: { kind: "source", outputPorts: () => ["success"] },
  log: { kind: "sink", outputPorts: () => [] },
};
const catalog: PlannerCatalog = { get: (t) => specs[t] };

function doc(settings?: Record<string, number>): FlowDocument {
  const node = (id: string, type: string) => ({ id, type, typeVersion: 1, config: {}, position: { x: 0, y: 0 } });
  return {
    schemaVersion: 1,
    id: "f1",
    name: "f",
    nodes: [node("gen", "generate"), node("out", "log")],
    edges: [{ id: "gen->out", from: { node: "gen", port: "success" }, to: { node: "out" }, ...(settings ? { settings } : {}) }],
    parameters: [],
  };
}

// the designer shows DEFAULT_QUEUE_THRESHOLD as what an empty threshold means: the plan must agree
describe("an edge's queue threshold", () => {
  it("is the shared default when the edge leaves it out, the edge's own otherwise", () => {
    expect(planFlow(doc(), catalog).edges[0]!.queueThreshold).toBe(DEFAULT_QUEUE_THRESHOLD);
    expect(planFlow(doc({ queueThreshold: 500 }), catalog).edges[0]!.queueThreshold).toBe(500);
  });
});
