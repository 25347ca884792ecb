import { describe, expect, it } from "vitest";
import { findCycles, wouldCreateCycle } from "./graph.js";

const links = (pairs: string) => pairs.split(" ").map((p) => ({ from: p[0], to: p[1] }));

describe("findCycles", () => {
  it("finds none in a DAG", () => {
    expect(findCycles(["a", "b", "c", "d"], links("ab ac bd cd"))).toEqual([]);
  });
  it("names the nodes of each cycle, a self loop included", () => {
    const cycles = findCycles(["a", "b", "c", "d", "e"], links("ab bc ca cd ee"));
    expect(cycles.map((c) => [...c].sort().join(""))).toEqual(expect.arrayContaining(["abc", "e"]));
    expect(cycles).toHaveLength(2);
  });
  it("returns an actual cycle (each step is a link)", () => {
    const ls = links("ab bc cb ca");
    for (const cycle of findCycles(["a", "b", "c"], ls)) {
      cycle.forEach((n, i) => {
        const next = cycle[(i + 1) % cycle.length];
        expect(ls.some((l) => l.from === n && l.to === next)).toBe(true);
      });
    }
  });
  it("ignores links to unknown nodes and survives a 20,000-node chain", () => {
    expect(findCycles(["a"], [{ from: "a", to: "zz" }])).toEqual([]);
    const ids = Array.from({ length: 20_000 }, (_, i) => `n${i}`);
    const chain = ids.slice(1).map((id, i) => ({ from: ids[i], to: id }));
    expect(findCycles(ids, chain)).toEqual([]);
    expect(findCycles(ids, [...chain, { from: ids[ids.length - 1], to: ids[0] }])[0]).toHaveLength(20_000);
  });
});

describe("wouldCreateCycle", () => {
  it("detects closing links and self loops", () => {
    expect(wouldCreateCycle(["a", "b", "c"], links("ab bc"), "c", "a")).toBe(true);
    expect(wouldCreateCycle(["a", "b", "c"], links("ab bc"), "a", "c")).toBe(false);
    expect(wouldCreateCycle(["a"], [], "a", "a")).toBe(true);
  });
});
