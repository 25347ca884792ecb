import { describe, expect, it } from "vitest";
import {
  addNode,
  canConnect,
  connect,
  createFlow,
  disconnect,
  FlowEditError,
  moveNode,
  newId,
  removeNode,
  renameFlow,
  renameNode,
  setDescription,
  setParameters,
  updateConfig,
  updateEdgeSettings,
  updateNodeSettings,
} from "./edit.js";
import { contentHash, documentHash } from "./canonical.js";
import { deepFreeze, fakeCatalog, sampleFlow } from "../test-support/fake-catalog.js";
import { validateFlow } from "./validate.js";

/** Every operation works on a deep-frozen document: a mutation would throw. */
const doc = () => deepFreeze(sampleFlow());
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof FlowEditError) return e.code;
    throw e;
  }
  return "no error";
};

describe("newId", () => {
  it("makes prefixed, distinct ids", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newId("filter")));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^filter-[a-z0-9]{10}$/);
    expect(newId("")).toMatch(/^[a-z0-9]{10}$/);
  });
});

describe("edit operations", () => {
  it("createFlow + addNode + connect build a valid flow", () => {
    let d = createFlow({ id: "f", name: "New" });
    d = addNode(d, { id: "g", type: "generate", typeVersion: 1, config: { count: 0, template: "$i" }, position: { x: 0, y: 0 } });
    d = addNode(d, { id: "s", type: "kafka-sink", typeVersion: 1, config: { topic: "t" }, position: { x: 1, y: 0 } });
    d = connect(d, { id: "e", from: { node: "g", port: "success" }, to: { node: "s" } }, fakeCatalog);
    expect(validateFlow(d, fakeCatalog).ok).toBe(true);
    expect(d.edges).toEqual([{ id: "e", from: { node: "g", port: "success" }, to: { node: "s" } }]);
  });
  it("addNode refuses a duplicate id", () => {
    expect(code(() => addNode(doc(), { ...doc().nodes[0] }))).toBe("duplicate-node-id");
  });
  it("removeNode also removes its edges", () => {
    const d = removeNode(doc(), "big");
    expect(d.nodes.map((n) => n.id)).toEqual(["gen", "out"]);
    expect(d.edges).toEqual([]);
    expect(code(() => removeNode(doc(), "ghost"))).toBe("node-not-found");
  });
  it("connect refuses self loops, duplicates, cycles, bad ports, sources as targets, reused ids", () => {
    const d = doc();
    const c = (from: string, port: string, to: string, id = "new") => () => connect(d, { id, from: { node: from, port }, to: { node: to } }, fakeCatalog);
    expect(code(c("big", "failure", "big"))).toBe("self-loop");
    expect(code(c("gen", "success", "big"))).toBe("duplicate-connection");
    expect(code(c("out", "success", "gen"))).toBe("no-input");
    expect(code(c("big", "nope", "out"))).toBe("unknown-port");
    expect(code(c("ghost", "success", "out"))).toBe("node-not-found");
    expect(code(c("gen", "success", "out", "e1"))).toBe("duplicate-edge-id");
    const withLoop = addNode(d, { id: "f2", type: "filter", typeVersion: 2, config: { expression: "x" }, position: { x: 0, y: 0 } });
    const step = connect(withLoop, { id: "a", from: { node: "big", port: "failure" }, to: { node: "f2" } });
    expect(code(() => connect(step, { id: "b", from: { node: "f2", port: "success" }, to: { node: "big" } }))).toBe("cycle");
    expect(() => c("big", "failure", "big")()).toThrow(/cannot connect to itself/);
  });
  it("canConnect returns the reason as a value", () => {
    expect(canConnect(doc(), { from: { node: "gen", port: "success" }, to: { node: "out" } }, fakeCatalog)).toEqual({ ok: true });
    expect(canConnect(doc(), { from: { node: "out", port: "success" }, to: { node: "out" } })).toMatchObject({ ok: false, code: "self-loop" });
    // Without a catalogue, ports and inputs are not checked (validateFlow will).
    expect(canConnect(doc(), { from: { node: "big", port: "nope" }, to: { node: "gen" } }).ok).toBe(false);
    expect(canConnect(doc(), { from: { node: "out", port: "nope" }, to: { node: "big" } })).toMatchObject({ ok: false, code: "cycle" });
  });
  it("disconnect removes one edge", () => {
    expect(disconnect(doc(), "e1").edges.map((e) => e.id)).toEqual(["e2"]);
    expect(code(() => disconnect(doc(), "zz"))).toBe("edge-not-found");
  });
  it("updateConfig replaces or derives the config", () => {
    expect(updateConfig(doc(), "big", { expression: "true" }).nodes[1].config).toEqual({ expression: "true" });
    expect(updateConfig(doc(), "gen", (c) => ({ ...c, count: 5 })).nodes[0].config).toEqual({ count: 5, template: "{ 'amount': $i }" });
    expect(code(() => updateConfig(doc(), "zz", {}))).toBe("node-not-found");
  });
  it("settings can be set and removed", () => {
    const d = updateNodeSettings(doc(), "gen", { partitions: 3 });
    expect(d.nodes[0].settings).toEqual({ partitions: 3 });
    expect("settings" in updateNodeSettings(doc(), "out", undefined).nodes[2]).toBe(false);
    expect(updateEdgeSettings(doc(), "e1", { mode: "fused" }).edges[0].settings).toEqual({ mode: "fused" });
    expect("settings" in updateEdgeSettings(doc(), "e2", undefined).edges[1]).toBe(false);
    expect(code(() => updateEdgeSettings(doc(), "zz", {}))).toBe("edge-not-found");
  });
  it("moveNode changes layout only: documentHash changes, contentHash does not", () => {
    const before = doc();
    const after = moveNode(before, "big", { x: 999, y: -3 });
    expect(after.nodes[1].position).toEqual({ x: 999, y: -3 });
    expect(contentHash(after)).toBe(contentHash(before));
    expect(documentHash(after)).not.toBe(documentHash(before));
  });
  it("renames nodes and flows, sets the description", () => {
    expect(renameNode(doc(), "gen", "Source").nodes[0].name).toBe("Source");
    expect("name" in renameNode(doc(), "big", "").nodes[1]).toBe(false);
    expect(renameFlow(doc(), "Payments").name).toBe("Payments");
    expect(code(() => renameFlow(doc(), "  "))).toBe("invalid-name");
    expect(setDescription(doc(), "new").description).toBe("new");
    expect("description" in setDescription(doc(), undefined)).toBe(false);
  });
  it("setParameters validates names and uniqueness", () => {
    const d = setParameters(doc(), [{ name: "prefix", value: "dev", sensitive: false }]);
    expect(d.parameters).toEqual([{ name: "prefix", value: "dev", sensitive: false }]);
    expect(code(() => setParameters(doc(), [{ name: "a b", value: "", sensitive: false }]))).toBe("invalid-parameters");
    expect(code(() => setParameters(doc(), [{ name: "a", value: "", sensitive: false }, { name: "a", value: "", sensitive: true }]))).toBe("invalid-parameters");
  });
  it("never mutates and shares untouched parts", () => {
    const before = doc();
    const after = updateConfig(before, "big", { expression: "y" });
    expect(after).not.toBe(before);
    expect(after.nodes[0]).toBe(before.nodes[0]);
    expect(after.edges).toBe(before.edges);
    expect(before.nodes[1].config).toEqual({ expression: "value.amount > 5" });
  });
});
