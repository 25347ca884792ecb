import { describe, expect, it } from "vitest";
import type { FlowDocument, FlowGroup } from "./document.js";
import { formatError } from "./errors.js";
import { fakeCatalog, sampleFlow } from "../test-support/fake-catalog.js";
import { validateFlow } from "./validate.js";
import { canonicalJson, contentHash, documentHash } from "./canonical.js";
import { addNodesToGroup, createGroup, groupErrors, moveGroup, renameGroup, setGroupCollapsed, setGroupColor, ungroup } from "./groups.js";
import { removeNode } from "./edit.js";
import { diffFlows, isBehaviourEqual } from "./diff.js";

const withGroups = (groups: FlowGroup[]): FlowDocument => ({ ...sampleFlow(), groups });
const errorsOf = (doc: FlowDocument) => {
  const r = validateFlow(doc, fakeCatalog);
  return r.ok ? [] : r.errors.map(formatError);
};

describe("groups in the flow document", () => {
  it("a document without groups validates and exports exactly as before (no groups key)", () => {
    const r = validateFlow(sampleFlow(), fakeCatalog);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect("groups" in r.document).toBe(false);
      expect(canonicalJson(r.document)).toBe(canonicalJson(sampleFlow()));
      expect(canonicalJson(r.document)).not.toContain("groups");
    }
  });

  it("accepts nested groups and keeps them through validation and canonical export", () => {
    const doc = withGroups([
      { id: "inner", name: "Inner", nodes: ["big"], parent: "outer", collapsed: true, position: { x: 10, y: 20 }, size: { width: 200, height: 80 } },
      { id: "outer", name: "Outer", color: "#aa00ff", nodes: ["out", "gen"] },
    ]);
    const r = validateFlow(doc, fakeCatalog);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.document.groups).toEqual(doc.groups);
    const exported = JSON.parse(canonicalJson(r.document)) as FlowDocument;
    // sorted by id, members sorted, layout last
    expect(exported.groups!.map((g) => g.id)).toEqual(["inner", "outer"]);
    expect(exported.groups![1]!.nodes).toEqual(["gen", "out"]);
    expect(Object.keys(exported.groups![0]!)).toEqual(["id", "name", "parent", "collapsed", "nodes", "position", "size"]);
    const again = validateFlow(exported, fakeCatalog);
    expect(again.ok && canonicalJson(again.document)).toBe(canonicalJson(r.document));
  });

  it("names each mistake at its path: unknown node, node in two groups, missing parent, cycle, duplicate id", () => {
    expect(errorsOf(withGroups([{ id: "g", name: "G", nodes: ["gen", "nope"] }]))).toEqual(['groups[0].nodes[1]: node "nope" does not exist']);
    expect(
      errorsOf(
        withGroups([
          { id: "a", name: "A", nodes: ["gen"] },
          { id: "b", name: "B", nodes: ["big", "gen"] },
        ]),
      ),
    ).toEqual(['groups[1].nodes[1]: node "gen" is already in group "a" (groups[0]): a node is in one group at most']);
    expect(errorsOf(withGroups([{ id: "a", name: "A", nodes: [], parent: "ghost" }]))).toEqual(['groups[0].parent: group "ghost" does not exist']);
    expect(
      errorsOf(
        withGroups([
          { id: "a", name: "A", nodes: [], parent: "b" },
          { id: "b", name: "B", nodes: [], parent: "a" },
          { id: "c", name: "C", nodes: [], parent: "c" },
        ]),
      ),
    ).toEqual(['groups[0].parent: groups nested in a cycle: "a" → "b" → "a"', 'groups[2].parent: groups nested in a cycle: "c" → "c"']);
    expect(
      errorsOf(
        withGroups([
          { id: "a", name: "A", nodes: [] },
          { id: "a", name: "A2", nodes: [] },
        ]),
      ),
    ).toEqual(['groups[1].id: duplicate group id "a" (also groups[0].id)']);
    expect(errorsOf(withGroups([{ id: "a", name: "", nodes: [], color: "red" }])).join("\n")).toMatch(/groups\[0\]\.name[\s\S]*groups\[0\]\.color/);
  });

  it("drafts are checked for broken groups too", () => {
    const r = validateFlow(withGroups([{ id: "a", name: "A", nodes: ["nope"] }]), fakeCatalog, { draft: true });
    expect(r.ok).toBe(false);
  });

  it("groups are layout: the content hash ignores them, the document hash and the diff see them", () => {
    const plain = sampleFlow();
    const grouped = withGroups([{ id: "g", name: "G", nodes: ["gen", "big"] }]);
    expect(contentHash(grouped)).toBe(contentHash(plain));
    expect(documentHash(grouped)).not.toBe(documentHash(plain));
    const d = diffFlows(plain, grouped);
    expect(d.flow.length).toBeGreaterThan(0);
    expect(isBehaviourEqual(d)).toBe(true);
  });
});

describe("group edits", () => {
  const base = sampleFlow();

  it("groups nodes, nests a group where its members were, ungroups back to the parent", () => {
    const one = createGroup(base, { id: "g1", name: "Enrich", nodes: ["gen", "big"] });
    expect(one.groups).toEqual([{ id: "g1", name: "Enrich", nodes: ["gen", "big"] }]);
    expect(base.groups).toBeUndefined();
    // nodes all in g1: the new group is nested in g1, and they leave g1
    const two = createGroup(one, { id: "g2", name: "Inner", nodes: ["big"] });
    expect(two.groups).toEqual([
      { id: "g1", name: "Enrich", nodes: ["gen"] },
      { id: "g2", name: "Inner", nodes: ["big"], parent: "g1" },
    ]);
    expect(groupErrors(two)).toEqual([]);
    // a group and a top-level node: the new group is at the top, g1 nested in it
    const three = createGroup(one, { id: "top", name: "Top", nodes: ["out"], groups: ["g1"] });
    expect(three.groups).toEqual([
      { id: "g1", name: "Enrich", nodes: ["gen", "big"], parent: "top" },
      { id: "top", name: "Top", nodes: ["out"] },
    ]);
    expect(ungroup(two, "g2").groups).toEqual([{ id: "g1", name: "Enrich", nodes: ["gen", "big"] }]);
    expect(ungroup(three, "top").groups).toEqual([{ id: "g1", name: "Enrich", nodes: ["gen", "big"] }]);
    // the last group gone: the key goes, the document is the one without groups
    expect(canonicalJson(ungroup(one, "g1"))).toBe(canonicalJson(base));
  });

  it("moves nodes into a group, out of the one they were in", () => {
    const two = createGroup(createGroup(base, { id: "a", name: "A", nodes: ["gen", "big"] }), { id: "b", name: "B", nodes: ["out"] });
    expect(addNodesToGroup(two, "b", ["big"]).groups).toEqual([
      { id: "a", name: "A", nodes: ["gen"] },
      { id: "b", name: "B", nodes: ["out", "big"] },
    ]);
    expect(() => addNodesToGroup(two, "b", ["nope"])).toThrow(/does not exist/);
    expect(() => addNodesToGroup(two, "c", ["gen"])).toThrow(/group "c" does not exist/);
  });

  it("refuses what cannot be grouped", () => {
    expect(() => createGroup(base, { id: "g", name: "G", nodes: [] })).toThrow(/select nodes/);
    expect(() => createGroup(base, { id: "g", name: "G", nodes: ["nope"] })).toThrow(/does not exist/);
    const one = createGroup(base, { id: "g", name: "G", nodes: ["gen"] });
    expect(() => createGroup(one, { id: "g", name: "G", nodes: ["big"] })).toThrow(/already exists/);
    expect(() => ungroup(one, "x")).toThrow(/group "x" does not exist/);
    expect(() => renameGroup(one, "g", "  ")).toThrow(/needs a name/);
    expect(() => setGroupColor(one, "g", "blue")).toThrow(/#rrggbb/);
  });

  it("renames, colours, collapses and moves a group; removing a node leaves the groups valid", () => {
    let d = createGroup(base, { id: "g", name: "G", nodes: ["gen", "big"] });
    d = renameGroup(d, "g", " Ingest ");
    d = setGroupColor(d, "g", "#22aa44");
    d = setGroupCollapsed(d, "g", true);
    d = moveGroup(d, "g", { x: 5, y: 6 });
    expect(d.groups).toEqual([{ id: "g", name: "Ingest", color: "#22aa44", collapsed: true, nodes: ["gen", "big"], position: { x: 5, y: 6 } }]);
    expect(setGroupCollapsed(setGroupColor(d, "g", undefined), "g", false).groups![0]).toEqual({ id: "g", name: "Ingest", nodes: ["gen", "big"], position: { x: 5, y: 6 } });
    const removed = removeNode(d, "big");
    expect(removed.groups![0]!.nodes).toEqual(["gen"]);
    expect(groupErrors(removed)).toEqual([]);
  });
});
