import { describe, expect, it } from "vitest";
import { canonicalize, canonicalJson, contentHash, documentHash, sortKeysDeep, stripLayout } from "./canonical.js";
import type { FlowDocument } from "./document.js";
import { deepFreeze, sampleFlow } from "../test-support/fake-catalog.js";

/** The same flow written differently: shuffled arrays, keys in another order. */
function shuffled(): FlowDocument {
  const d = sampleFlow();
  return {
    parameters: [...d.parameters].reverse(),
    edges: [...d.edges].reverse().map((e) => ({ to: e.to, settings: e.settings, from: { port: e.from.port, node: e.from.node }, id: e.id })),
    nodes: [...d.nodes].reverse().map(({ position, config, ...rest }) => ({ position, config: Object.fromEntries(Object.entries(config).reverse()), ...rest })),
    name: d.name,
    description: d.description,
    id: d.id,
    schemaVersion: 1,
  } as FlowDocument;
}

describe("canonicalize", () => {
  it("sorts nodes, edges and parameters and orders keys as the contract does, position last", () => {
    const c = canonicalize(deepFreeze(sampleFlow()));
    expect(Object.keys(c)).toEqual(["schemaVersion", "id", "name", "description", "nodes", "edges", "parameters"]);
    expect(c.nodes.map((n) => n.id)).toEqual(["big", "gen", "out"]);
    expect(c.parameters.map((p) => p.name)).toEqual(["password", "prefix"]);
    expect(Object.keys(c.nodes[2])).toEqual(["id", "type", "typeVersion", "config", "settings", "position"]);
    expect(Object.keys(c.nodes[2].config)).toEqual(["keyExpression", "topic"]);
    expect(Object.keys(c.edges[1])).toEqual(["id", "from", "to", "settings"]);
  });
  it("gives one spelling for equivalent documents", () => {
    expect(canonicalJson(shuffled())).toBe(canonicalJson(sampleFlow()));
    expect(contentHash(shuffled())).toBe(contentHash(sampleFlow()));
    expect(documentHash(shuffled())).toBe(documentHash(sampleFlow()));
    expect(canonicalize(canonicalize(sampleFlow()))).toEqual(canonicalize(sampleFlow()));
  });
  it("sorts keys by code unit, recursively, keeping arrays in order", () => {
    expect(JSON.stringify(sortKeysDeep({ b: [{ z: 1, a: 2 }, 1], a: { é: 1, Z: 2, e: 3 } }))).toBe('{"a":{"Z":2,"e":3,"é":1},"b":[{"a":2,"z":1},1]}');
  });
});

describe("hashes", () => {
  it("are sha-256 hex", () => {
    expect(contentHash(sampleFlow())).toMatch(/^[0-9a-f]{64}$/);
    expect(documentHash(sampleFlow())).toMatch(/^[0-9a-f]{64}$/);
  });
  it("contentHash ignores positions only; documentHash sees everything visible", () => {
    const base = sampleFlow();
    const moved = sampleFlow();
    moved.nodes[0].position = { x: 5, y: 5 };
    const changed = sampleFlow();
    changed.nodes[1].config.expression = "value.amount > 6";
    expect(contentHash(moved)).toBe(contentHash(base));
    expect(documentHash(moved)).not.toBe(documentHash(base));
    expect(contentHash(changed)).not.toBe(contentHash(base));
    expect(stripLayout(base).nodes.every((n) => !("position" in n))).toBe(true);
  });
  it("leave sensitive values out, so the browser's redacted copy hashes the same", () => {
    const rotated = sampleFlow();
    rotated.parameters[1].value = "other-secret";
    expect(contentHash(rotated)).toBe(contentHash(sampleFlow()));
    expect(documentHash(rotated)).toBe(documentHash(sampleFlow()));
    const plain = sampleFlow();
    plain.parameters[0].value = "dev";
    expect(contentHash(plain)).not.toBe(contentHash(sampleFlow()));
  });
});
