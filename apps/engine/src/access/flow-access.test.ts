import { describe, expect, it } from "vitest";
import { flowIdOf } from "./flow-id.js";
import { checkedGroupNames, withoutHiddenFlows } from "./flow-access.js";

describe("flowIdOf", () => {
  it("reads the flow id where the procedure says, flowId by default", () => {
    expect(flowIdOf({ flowId: "f1" })).toBe("f1");
    expect(flowIdOf({ id: "f1" }, "id")).toBe("f1");
    expect(flowIdOf({ document: { id: "f1" } }, "document.id")).toBe("f1");
    expect(flowIdOf({ id: "token-1" })).toBeUndefined();
    expect(flowIdOf(undefined)).toBeUndefined();
    expect(flowIdOf({ document: "f1" }, "document.id")).toBeUndefined();
  });

  it("takes a malformed id for none (the input check refuses it before any database query)", () => {
    expect(flowIdOf({ flowId: "../x" })).toBeUndefined();
    expect(flowIdOf({ flowId: 42 })).toBeUndefined();
  });
});

describe("withoutHiddenFlows", () => {
  const graph = {
    recordId: "r",
    nodes: [
      { id: "a", flowId: "open" },
      { id: "b", flowId: "hidden" },
      { id: "c", flowId: "open" },
    ],
    links: [
      { from: "a", to: "b" },
      { from: "b", to: "c" },
      { from: "a", to: "c" },
    ],
    truncated: false,
  };

  it("drops the hidden flows' events and every link touching them", () => {
    expect(withoutHiddenFlows(graph, new Set(["hidden"]))).toEqual({ ...graph, nodes: [graph.nodes[0], graph.nodes[2]], links: [{ from: "a", to: "c" }] });
  });

  it("hands the graph back untouched when nothing in it is hidden", () => {
    expect(withoutHiddenFlows(graph, new Set(["other"]))).toBe(graph);
    expect(withoutHiddenFlows(graph, new Set())).toBe(graph);
  });
});

describe("checkedGroupNames", () => {
  it("trims, drops blanks and duplicates, sorts; refuses a name outside the user-name rule", () => {
    expect(checkedGroupNames([" ops", "data", "ops", ""])).toEqual(["data", "ops"]);
    expect(() => checkedGroupNames(["has space"])).toThrow(/is not a group name/);
  });
});
