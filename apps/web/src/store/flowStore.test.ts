import { beforeEach, describe, expect, it } from "vitest";
import { flowActions, useFlowStore, canonical } from "./flowStore";

const s = () => useFlowStore.getState();
const dirty = () => s().savedJson !== canonical(s().doc);

// node has no localStorage: a tiny in-memory one for copy/paste
const mem = new Map<string, string>();
(globalThis as any).localStorage = {
  getItem: (k: string) => mem.get(k) ?? null,
  setItem: (k: string, v: string) => void mem.set(k, v),
  removeItem: (k: string) => void mem.delete(k),
};

describe("flow store", () => {
  beforeEach(() => {
    mem.clear();
    flowActions.newFlow("Test");
  });

  it("starts clean with no history, and every edit is undoable", () => {
    expect(dirty()).toBe(false);
    expect(s().history.past.length).toBe(0);
    const a = flowActions.addNode("generate", 1, { count: 1 }, { x: 0, y: 0 });
    const b = flowActions.addNode("log", 1, {}, { x: 300, y: 0 });
    flowActions.connect({ node: a, port: "success" }, { node: b });
    expect(s().doc.edges.length).toBe(1);
    expect(dirty()).toBe(true);
    flowActions.undo();
    expect(s().doc.edges.length).toBe(0);
    flowActions.undo();
    flowActions.undo();
    expect(s().doc.nodes.length).toBe(0);
    expect(dirty()).toBe(false);
    flowActions.redo();
    flowActions.redo();
    flowActions.redo();
    expect(s().doc.edges.length).toBe(1);
  });

  it("a drag is transient until it ends, then one undo step", () => {
    const a = flowActions.addNode("generate", 1, {}, { x: 0, y: 0 });
    const steps = s().history.past.length;
    for (let i = 1; i <= 20; i++) flowActions.dragTo({ [a]: { x: i * 10, y: i } });
    expect(s().history.past.length).toBe(steps);
    expect(s().doc.nodes[0].position).toEqual({ x: 0, y: 0 });
    flowActions.endDrag();
    expect(s().doc.nodes[0].position).toEqual({ x: 200, y: 20 });
    expect(s().history.past.length).toBe(steps + 1);
    flowActions.undo();
    expect(s().doc.nodes[0].position).toEqual({ x: 0, y: 0 });
  });

  it("selection and measured sizes never touch history", () => {
    const a = flowActions.addNode("generate", 1, {}, { x: 0, y: 0 });
    const h = s().history;
    flowActions.select({ nodes: [a] });
    flowActions.setMeasured(a, { width: 200, height: 80 });
    expect(s().history).toBe(h);
  });

  it("typing into one field is one undo step", () => {
    const a = flowActions.addNode("filter", 1, { expression: "" }, { x: 0, y: 0 });
    const steps = s().history.past.length;
    for (const v of ["v", "va", "val", "valu", "value"]) flowActions.setConfig(a, { expression: v }, "expression");
    expect(s().history.past.length).toBe(steps + 1);
    flowActions.undo();
    expect(s().doc.nodes[0].config).toEqual({ expression: "" });
  });

  it("deletes a selection (nodes with their edges) in one step", () => {
    const a = flowActions.addNode("generate", 1, {}, { x: 0, y: 0 });
    const b = flowActions.addNode("log", 1, {}, { x: 300, y: 0 });
    flowActions.connect({ node: a, port: "success" }, { node: b });
    flowActions.select({ nodes: [b], edges: [] });
    flowActions.deleteSelection();
    expect(s().doc.nodes.map((n) => n.id)).toEqual([a]);
    expect(s().doc.edges).toEqual([]);
    flowActions.undo();
    expect(s().doc.nodes.length).toBe(2);
    expect(s().doc.edges.length).toBe(1);
  });

  it("copies and pastes into another flow with fresh ids", () => {
    const a = flowActions.addNode("generate", 1, {}, { x: 0, y: 0 });
    const b = flowActions.addNode("log", 1, {}, { x: 300, y: 0 });
    flowActions.connect({ node: a, port: "success" }, { node: b });
    flowActions.selectAll();
    expect(flowActions.copy()).toBe(true);
    flowActions.newFlow("Other");
    flowActions.addNode("generate", 1, {}, { x: 0, y: 0 });
    expect(flowActions.paste(null)).toBe(true);
    expect(s().doc.nodes.map((n) => n.id)).toEqual(["generate-1", "generate-2", "log-1"]);
    expect(s().doc.edges.map((e) => e.id)).toEqual(["generate-2.success->log-1"]);
    expect(s().selection.nodes).toEqual(["generate-2", "log-1"]);
    flowActions.undo();
    expect(s().doc.nodes.length).toBe(1);
  });

  it("refuses an invalid edit without changing anything", () => {
    const a = flowActions.addNode("generate", 1, {}, { x: 0, y: 0 });
    const before = s().doc;
    flowActions.connect({ node: a, port: "success" }, { node: a });
    expect(s().doc).toBe(before);
  });

  it("marks saved and load clears history", () => {
    flowActions.addNode("generate", 1, {}, { x: 0, y: 0 });
    flowActions.markSaved(3);
    expect(dirty()).toBe(false);
    expect(s().baseVersion).toBe(3);
    flowActions.load(s().doc, 3);
    expect(s().history.past.length).toBe(0);
  });

  it("restores an earlier version as one undoable, unsaved edit, keeping the flow id and base version", () => {
    flowActions.addNode("generate", 1, { count: 1 }, { x: 0, y: 0 });
    const v1 = structuredClone(s().doc);
    flowActions.markSaved(1);
    flowActions.addNode("log", 1, {}, { x: 300, y: 0 });
    flowActions.markSaved(2);
    const id = s().doc.id;
    expect(flowActions.restore({ ...v1, id: "something-else" })).toBe(true);
    expect(s().doc.id).toBe(id);
    expect(s().doc.nodes.map((n) => n.id)).toEqual(["generate-1"]);
    expect(s().baseVersion).toBe(2);
    expect(dirty()).toBe(true);
    flowActions.undo();
    expect(s().doc.nodes.length).toBe(2);
    expect(dirty()).toBe(false);
    flowActions.redo();
    expect(s().doc.nodes.length).toBe(1);
    // restoring what is already there changes nothing
    expect(flowActions.restore(v1)).toBe(false);
  });

  it("knows which sensitive parameters have a stored value: the engine says (secretsSet)", () => {
    const doc = { ...s().doc, parameters: [{ name: "token", value: "", sensitive: true }, { name: "key", value: "", sensitive: true }, { name: "plain", value: "x", sensitive: false }] };
    // a copy saved without values: nothing stored
    flowActions.load(doc, undefined, { dirty: true });
    expect(s().storedSecrets).toEqual([]);
    flowActions.markSaved(1, doc);
    expect(s().storedSecrets).toEqual([]);
    // reopening it: the engine's list decides (names it lists that are not sensitive here are ignored)
    flowActions.load(doc, 1, { secretsSet: [] });
    expect(s().storedSecrets).toEqual([]);
    flowActions.load(doc, 1, { secretsSet: ["key", "plain"] });
    expect(s().storedSecrets).toEqual(["key"]);
    // typing one and saving stores it; a blank one keeps what was stored
    const typed = { ...doc, parameters: [{ name: "token", value: "t0p", sensitive: true }, doc.parameters[1]!, doc.parameters[2]!] };
    flowActions.markSaved(2, typed);
    expect(s().storedSecrets).toEqual(["token", "key"]);
    // the engine kept its version (no change it could see): a typed secret was not stored
    flowActions.load(doc, 2, { secretsSet: [] });
    flowActions.markSaved(2, typed, { created: false });
    expect(s().storedSecrets).toEqual([]);
    // an engine too old to say: no false "not set"
    flowActions.load(doc, 2);
    expect(s().storedSecrets).toEqual(["token", "key"]);
  });
});
