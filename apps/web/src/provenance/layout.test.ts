import { describe, expect, it } from "vitest";
import type { LineageGraph, ProvenanceEvent } from "../api/types";
import { flowOfRecord, layoutLineage } from "./layout";

const ev = (id: string, nodeId: string, at: number, recordId = "r1", type: ProvenanceEvent["type"] = "MODIFY"): ProvenanceEvent => ({
  id, recordId, parentIds: [], flowId: "f", nodeId, nodeType: null, type, at, port: null, topic: null, partition: null, offset: null,
});

describe("layoutLineage", () => {
  it("puts each event one step right of its latest parent, even when its batch started earlier", () => {
    const g: LineageGraph = {
      recordId: "r1",
      nodes: [ev("10.o0", "gen", 100, "r1", "CREATE"), ev("12.o0", "map", 90, "r2"), ev("11.i0", "out", 120, "r2", "SEND")],
      links: [{ from: "10.o0", to: "12.o0" }, { from: "12.o0", to: "11.i0" }],
      truncated: false,
    };
    const l = layoutLineage(g);
    expect(l.steps.map((s) => s.map((e) => e.nodeId))).toEqual([["gen"], ["map"], ["out"]]);
    expect(l.t0).toBe(90);
    expect(flowOfRecord(g)).toBe("f");
  });

  it("fans out forks in one step and ignores links to unknown events", () => {
    const g: LineageGraph = {
      recordId: "r1",
      nodes: [ev("1.o0", "gen", 1), ev("2.o0", "split", 2), ev("2.o1", "split", 2)],
      links: [{ from: "1.o0", to: "2.o0" }, { from: "1.o0", to: "2.o1" }, { from: "zz", to: "1.o0" }],
      truncated: false,
    };
    expect(layoutLineage(g).steps.map((s) => s.length)).toEqual([1, 2]);
  });

  it("survives an empty graph", () => {
    expect(layoutLineage({ recordId: "x", nodes: [], links: [], truncated: false }).steps).toEqual([]);
  });
});
