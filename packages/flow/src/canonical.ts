import type { FlowDocument, FlowEdge, FlowGroup, FlowNode, FlowParameter } from "./document.js";
import type { TestCase } from "./test-cases.js";
import { sha256Hex } from "./sha256.js";

/**
 * Canonical form: one spelling per document, so exports diff cleanly and hashes are stable.
 * - nodes sorted by id, edges by id, parameters by name (their order carries no meaning);
 * - keys in contract order; inside config/settings keys sorted (arrays keep their order);
 * - `position` last in every node: layout lines sit apart from behaviour lines in a diff.
 * Order is by UTF-16 code units, never locale, so every machine agrees.
 */

const byKey = <T>(key: (t: T) => string) => (a: T, b: T) => {
  const ka = key(a), kb = key(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/** Deep copy of a JSON value with object keys sorted. Built with fromEntries: `__proto__` stays data. */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeysDeep((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Copies `value[k]` for the given keys in that order, skipping undefined (absent optional fields). */
function pick(value: object, keys: readonly string[], deep: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = deep.includes(k) ? sortKeysDeep(v) : v;
  }
  return out;
}

function canonicalNode(node: FlowNode): FlowNode {
  return {
    ...pick(node, ["id", "type", "typeVersion", "name", "config", "settings"], ["config", "settings"]),
    position: { x: node.position.x, y: node.position.y },
  } as FlowNode;
}

function canonicalEdge(edge: FlowEdge): FlowEdge {
  return {
    ...pick(edge, ["id"]),
    from: { node: edge.from.node, port: edge.from.port },
    to: { node: edge.to.node },
    ...pick(edge, ["settings"], ["settings"]),
  } as FlowEdge;
}

function canonicalParameter(p: FlowParameter): FlowParameter {
  return { name: p.name, value: p.value, sensitive: p.sensitive ?? false };
}

/** A case's fields in contract order; its records keep their order (it is what is expected). */
function canonicalTestCase(c: TestCase): TestCase {
  return pick(c, ["name", "description", "inputs", "expect", "failures", "timeoutMs"], ["inputs", "expect", "failures"]) as TestCase;
}

/** A group's member ids sorted (their order carries no meaning); position and size last, as in a node. */
function canonicalGroup(g: FlowGroup): FlowGroup {
  return {
    ...pick(g, ["id", "name", "color", "parent", "collapsed", "template"], ["template"]),
    nodes: [...g.nodes].sort(byKey((id) => id)),
    ...(g.position ? { position: { x: g.position.x, y: g.position.y } } : {}),
    ...(g.size ? { size: { width: g.size.width, height: g.size.height } } : {}),
  } as FlowGroup;
}

/** The canonical copy of a (valid) document. Never mutates its input. */
export function canonicalize(doc: FlowDocument): FlowDocument {
  return {
    ...pick(doc, ["schemaVersion", "id", "name", "description"]),
    nodes: [...doc.nodes].sort(byKey((n) => n.id)).map(canonicalNode),
    edges: [...doc.edges].sort(byKey((e) => e.id)).map(canonicalEdge),
    parameters: [...doc.parameters].sort(byKey((p) => p.name)).map(canonicalParameter),
    ...pick(doc, ["settings"], ["settings"]),
    ...(doc.tests ? { tests: doc.tests.map(canonicalTestCase) } : {}),
    ...(doc.groups ? { groups: [...doc.groups].sort(byKey((g) => g.id)).map(canonicalGroup) } : {}),
  } as FlowDocument;
}

/** Pretty canonical JSON (2-space indent, trailing newline): what export writes. */
export function canonicalJson(doc: FlowDocument): string {
  return JSON.stringify(canonicalize(doc), null, 2) + "\n";
}

export type FlowBehaviour = Omit<FlowDocument, "nodes"> & { nodes: Omit<FlowNode, "position">[] };

/** The canonical document without layout (node positions, groups) nor test cases: what the flow does, not how it looks or is checked. */
export function stripLayout(doc: FlowDocument): FlowBehaviour {
  const { tests: _tests, groups: _groups, ...canon } = canonicalize(doc);
  return { ...canon, nodes: canon.nodes.map(({ position: _position, ...rest }) => rest) };
}

/**
 * Sensitive values are left out of both hashes: a hash may be shown to the browser (which never
 * holds secrets, so it must compute the same hash) and must not let anyone test guesses of a
 * secret. Rotating a secret is therefore not a new version by hash; the engine stores it anyway.
 */
function hashable<T extends { parameters: FlowParameter[] }>(doc: T): T {
  return { ...doc, parameters: doc.parameters.map((p) => (p.sensitive ? { ...p, value: "" } : p)) };
}

/** sha-256 hex of the canonical document WITHOUT positions: equal hashes = same behaviour. */
export function contentHash(doc: FlowDocument): string {
  return sha256Hex(JSON.stringify(hashable(stripLayout(doc))));
}

/** sha-256 hex of the whole canonical document, positions included: any visible change is a new version. */
export function documentHash(doc: FlowDocument): string {
  return sha256Hex(JSON.stringify(hashable(canonicalize(doc))));
}
