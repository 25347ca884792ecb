import { describe, expect, it } from "vitest";
import { coalesceBatches, type Captured, type CapturedNode } from "./coalesce.js";

const node = (nodeId: string, seq: number, n: Partial<CapturedNode>): CapturedNode => ({
  nodeId,
  seq,
  inIds: [],
  inOffsets: null,
  outIds: [],
  outParents: null,
  outPorts: null,
  portTopics: null,
  outLocs: null,
  ...n,
});

const batch = (first: number, last: number, nodes: CapturedNode[], extra: Partial<Captured> = {}): Captured => ({
  flowId: "f",
  deploymentId: "d",
  stageId: "s",
  at: first * 10,
  durationMs: 2,
  input: { topic: "t", partition: 0, firstOffset: String(first), lastOffset: String(last) },
  nodes,
  size: 1,
  ...extra,
});

describe("coalescing a stage's consecutive batches into one row per node", () => {
  it("merges contiguous slices, re-basing parents, ports and output locations", () => {
    const a = batch(0, 2, [
      node("keep", 0, { inIds: ["a", "b", "c"], outIds: ["a", "c"], outParents: Int32Array.from([0, 2]), outLocs: [0, 0, 100, 2] }),
      node("out", 1, { inIds: ["a", "c"], outIds: ["a", "c"] }),
    ]);
    const b = batch(3, 4, [
      node("keep", 0, { inIds: ["d", "e"], outIds: ["d", "e"], outPorts: ["success", "failure"], portTopics: { failure: ["dead"] }, outLocs: [0, 0, 102, 1, 1, 1, 7, 1] }),
      node("out", 1, { inIds: ["d", "e"], outIds: ["d", "e"] }),
    ]);
    const [m, ...rest] = coalesceBatches([a, b]);
    expect(rest).toEqual([]);
    expect(m!.input).toEqual({ topic: "t", partition: 0, firstOffset: "0", lastOffset: "4" });
    expect(m!.at).toBe(0);
    expect(m!.durationMs).toBe(4);
    const keep = m!.nodes[0]!;
    expect(keep.inIds).toEqual(["a", "b", "c", "d", "e"]);
    expect(keep.outIds).toEqual(["a", "c", "d", "e"]);
    expect(Array.from(keep.outParents!)).toEqual([0, 2, 3, 4]);
    expect(keep.outPorts).toEqual(["success", "success", "success", "failure"]);
    expect(keep.portTopics).toEqual({ failure: ["dead"] });
    expect(keep.outLocs).toEqual([0, 0, 100, 2, 2, 0, 102, 1, 3, 1, 7, 1]);
    // identity on both sides stays identity
    expect(m!.nodes[1]!.outParents).toBeNull();
    // the queued batches are untouched (a failed write retries them)
    expect(a.nodes[0]!.inIds).toEqual(["a", "b", "c"]);
    expect(a.input!.lastOffset).toBe("2");
  });

  it("spells out parents when a part without them had fewer outputs than inputs", () => {
    const a = batch(0, 2, [node("n", 0, { inIds: ["a", "b", "c"], outIds: ["x", "y"] })]);
    const b = batch(3, 3, [node("n", 0, { inIds: ["d"], outIds: ["z"] })]);
    expect(Array.from(coalesceBatches([a, b])[0]!.nodes[0]!.outParents!)).toEqual([0, 1, 3]);
  });

  it("keeps created records created (-1) and merges a polled source's batches", () => {
    const gen = (ids: string[]) => batch(0, 0, [node("gen", 0, { outIds: ids, outParents: Int32Array.from(ids.map(() => -1)) })], { input: null });
    const [m, ...rest] = coalesceBatches([gen(["a", "b"]), gen(["c"])]);
    expect(rest).toEqual([]);
    expect(m!.input).toBeNull();
    expect(Array.from(m!.nodes[0]!.outParents!)).toEqual([-1, -1, -1]);
  });

  it("keeps apart what cannot share a row: gaps, other partitions, other stages, scattered offsets, other lookups", () => {
    const one = () => [node("n", 0, { inIds: ["a"], outIds: ["a"] })];
    expect(coalesceBatches([batch(0, 0, one()), batch(2, 2, one())])).toHaveLength(2);
    expect(coalesceBatches([batch(0, 0, one()), { ...batch(1, 1, one()), input: { topic: "t", partition: 1, firstOffset: "1", lastOffset: "1" } }])).toHaveLength(2);
    expect(coalesceBatches([batch(0, 0, one()), batch(1, 1, one(), { stageId: "other" })])).toHaveLength(2);
    expect(coalesceBatches([batch(0, 0, one()), batch(1, 2, [node("n", 0, { inIds: ["a", "b"], inOffsets: ["1", "2"] })])])).toHaveLength(2);
    expect(coalesceBatches([batch(0, 0, one(), { byPosition: true }), batch(1, 1, one(), { byPosition: false })])).toHaveLength(2);
  });

  it("merges interleaved partitions each with its own", () => {
    const one = (p: number, o: number) => ({ ...batch(o, o, [node("n", 0, { inIds: [`${p}-${o}`], outIds: [`${p}-${o}`] })]), input: { topic: "t", partition: p, firstOffset: String(o), lastOffset: String(o) } });
    const rows = coalesceBatches([one(0, 0), one(1, 0), one(0, 1), one(1, 1)]);
    expect(rows.map((r) => r.nodes[0]!.inIds)).toEqual([
      ["0-0", "0-1"],
      ["1-0", "1-1"],
    ]);
  });
});
