import { describe, expect, it } from "vitest";
import { moveNode, renameNode } from "@millrace/flow";
import { onlyMoved, problemsOf } from "./specs";
import * as ops from "../doc/ops";

describe("problemsOf", () => {
  it("does not revalidate a document whose nodes only moved", () => {
    let d = ops.emptyDocument("f", "F");
    d = ops.addNode(d, { id: "a", type: "filter", typeVersion: 1, config: {}, position: { x: 0, y: 0 } });
    const p = problemsOf(d);
    expect(p.count).toBeGreaterThan(0);
    const moved = moveNode(d, "a", { x: 40, y: 40 });
    expect(onlyMoved(d, moved)).toBe(true);
    expect(problemsOf(moved)).toBe(p);
    const renamed = renameNode(moved, "a", "A");
    expect(onlyMoved(moved, renamed)).toBe(false);
    expect(problemsOf(renamed)).not.toBe(p);
  });
});
