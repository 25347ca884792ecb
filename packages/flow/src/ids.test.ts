import { describe, expect, it } from "vitest";
import { FlowDocumentSchema, ID_MAX_LENGTH, IdSchema } from "./document.js";
import { copyName, newFlowId, splitCopySuffix } from "./ids.js";

describe("the id rule", () => {
  it("admits the ids the designer, the import-as-copy and the tests make", () => {
    for (const id of ["flow-1a2b3c4d", "3f2c9a1e-8d7b-4c6a-9e5f-0a1b2c3d4e5f", "filter-2", "gen.success->log", "gen.success->log#2", "e2e-run_1", "x0_3", "a".repeat(ID_MAX_LENGTH)]) {
      expect(IdSchema.safeParse(id).success, id).toBe(true);
    }
  });
  it("refuses empty, overlong, path-like, spaced and control-character ids", () => {
    for (const id of ["", "a".repeat(ID_MAX_LENGTH + 1), "../etc", "a/b", "a b", "a\nb", "-x", ".x", "#x", "a%2f", "é", "a\u0000"]) {
      expect(IdSchema.safeParse(id).success, JSON.stringify(id)).toBe(false);
    }
  });
  it("applies to flow, node and edge ids and to the nodes edges name", () => {
    const doc = {
      schemaVersion: 1,
      id: "f",
      name: "n",
      nodes: [{ id: "a", type: "t", typeVersion: 1, config: {}, position: { x: 0, y: 0 } }],
      edges: [{ id: "e", from: { node: "a", port: "p" }, to: { node: "a" } }],
    };
    expect(FlowDocumentSchema.safeParse(doc).success).toBe(true);
    const bad = (patch: (d: typeof doc) => void) => {
      const d = structuredClone(doc);
      patch(d);
      return FlowDocumentSchema.safeParse(d).success;
    };
    expect(bad((d) => (d.id = "a b"))).toBe(false);
    expect(bad((d) => (d.nodes[0]!.id = "a/b"))).toBe(false);
    expect(bad((d) => (d.edges[0]!.id = ""))).toBe(false);
    expect(bad((d) => (d.edges[0]!.from.node = "x y"))).toBe(false);
    expect(bad((d) => (d.edges[0]!.to.node = "é"))).toBe(false);
  });
});

describe("a new flow's id and a copy's name", () => {
  it("are short ids the id rule admits, different each time", () => {
    const ids = new Set(Array.from({ length: 200 }, () => newFlowId()));
    expect(ids.size).toBe(200);
    for (const id of ids) {
      expect(id).toMatch(/^flow-[0-9a-hjkmnp-tv-z]{13}$/);
      expect(IdSchema.safeParse(id).success).toBe(true);
    }
  });
  it("carry at least 64 random bits: every one of the 32 characters turns up in every position", () => {
    const seen = Array.from({ length: 13 }, () => new Set<string>());
    for (let i = 0; i < 2000; i++) [...newFlowId().slice("flow-".length)].forEach((c, at) => seen[at]!.add(c));
    // 13 positions of 32 equally likely characters = 65 bits; 2000 draws miss one with odds ~1e-25
    for (const chars of seen) expect(chars.size).toBe(32);
  });
  it("a copy's name ends in (copy), once, and the suffix can be split off to stay visible", () => {
    expect(copyName("Orders")).toBe("Orders (copy)");
    expect(copyName("Orders (copy)")).toBe("Orders (copy)");
    expect(splitCopySuffix("Orders (copy)")).toEqual({ base: "Orders", suffix: "(copy)" });
    expect(splitCopySuffix("Orders")).toEqual({ base: "Orders", suffix: "" });
    expect(splitCopySuffix(" (copy)")).toEqual({ base: " (copy)", suffix: "" });
  });
});
