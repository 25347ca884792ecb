import { describe, expect, it } from "vitest";
import type { LineageGraph } from "../api/types";
import { documentNodeId } from "../doc/plannedNodes";
import { lineageActions, useLineageStore } from "./lineageStore";

const event = (id: string, nodeId: string) => ({ id, flowId: "f", nodeId });
// a record read by a source, re-keyed by the planner's hidden step, then kept by the table
const graph = {
  recordId: "r1",
  nodes: [event("e1", "kafka-source-1"), event("e2", "table-1__key"), event("e3", "table-1")],
  links: [
    { from: "e1", to: "e2" },
    { from: "e2", to: "e3" },
  ],
} as unknown as LineageGraph;

describe("lineage highlight", () => {
  it("a planner's hidden step lights the node it feeds and the document's edge into it", () => {
    const inDoc = new Set(["kafka-source-1", "table-1"]);
    lineageActions.highlight(graph, "f", (id) => documentNodeId(id, (x) => inDoc.has(x)));
    const s = useLineageStore.getState();
    expect([...s.nodes].sort()).toEqual(["kafka-source-1", "table-1"]);
    expect([...s.pairs]).toEqual(["kafka-source-1|table-1"]);
  });

  it("without a mapping the plan's ids are used as they are", () => {
    lineageActions.highlight(graph, "f");
    expect([...useLineageStore.getState().pairs].sort()).toEqual(["kafka-source-1|table-1__key", "table-1__key|table-1"]);
  });
});
