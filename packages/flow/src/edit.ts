import type { CatalogLike } from "./catalog-types.js";
import { ParameterSchema, type EdgeMode, type FlowDocument, type FlowEdge, type FlowNode, type FlowParameter, type Position } from "./document.js";
import { quote } from "./errors.js";
import { wouldCreateCycle } from "./graph.js";

/**
 * Pure edit operations shared by the designer and the engine. Each returns a NEW document
 * and never mutates its input (unchanged parts are shared, which suits zustand and React).
 *
 * Error policy: an operation that cannot apply (unknown node/edge id, duplicate id, self loop,
 * duplicate connection, cycle...) THROWS a FlowEditError whose `code` says why. These are
 * programming or UI-state mistakes; the UI avoids them up front with `canConnect`, which
 * returns the same reasons as a value (e.g. for xyflow's isValidConnection).
 * The operations keep a valid document valid except for config contents, which validateFlow
 * checks against the processor's schema.
 */

export type FlowEditErrorCode =
  | "node-not-found"
  | "edge-not-found"
  | "duplicate-node-id"
  | "duplicate-edge-id"
  | "duplicate-connection"
  | "self-loop"
  | "cycle"
  | "unknown-port"
  | "no-input"
  | "invalid-name"
  | "invalid-parameters"
  | "group-not-found"
  | "duplicate-group-id"
  | "nothing-to-group";

export class FlowEditError extends Error {
  constructor(
    readonly code: FlowEditErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "FlowEditError";
  }
}

const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/**
 * A fresh id like `filter-k3j9x2m1ab` (10 random base-36 chars, ~52 bits: collisions within a
 * flow are negligible, and addNode refuses a duplicate anyway). Uses crypto.getRandomValues,
 * present in Node 20 and browsers.
 */
export function newId(prefix: string): string {
  const bytes = new Uint8Array(10);
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  let id = "";
  for (const b of bytes) id += ID_ALPHABET[b % ID_ALPHABET.length];
  return prefix === "" ? id : `${prefix}-${id}`;
}

function nodeIndex(doc: FlowDocument, nodeId: string): number {
  const i = doc.nodes.findIndex((n) => n.id === nodeId);
  if (i < 0) throw new FlowEditError("node-not-found", `node ${quote(nodeId)} does not exist`);
  return i;
}

function edgeIndex(doc: FlowDocument, edgeId: string): number {
  const i = doc.edges.findIndex((e) => e.id === edgeId);
  if (i < 0) throw new FlowEditError("edge-not-found", `edge ${quote(edgeId)} does not exist`);
  return i;
}

function withNode(doc: FlowDocument, nodeId: string, change: (node: FlowNode) => FlowNode): FlowDocument {
  const i = nodeIndex(doc, nodeId);
  const nodes = [...doc.nodes];
  nodes[i] = change(nodes[i]);
  return { ...doc, nodes };
}

function withEdge(doc: FlowDocument, edgeId: string, change: (edge: FlowEdge) => FlowEdge): FlowDocument {
  const i = edgeIndex(doc, edgeId);
  const edges = [...doc.edges];
  edges[i] = change(edges[i]);
  return { ...doc, edges };
}

/** Drops a key whose new value is undefined, so optional fields are absent rather than `undefined`. */
function setOptional<T extends object, K extends keyof T>(value: T, key: K, v: T[K] | undefined): T {
  const copy = { ...value };
  if (v === undefined) delete copy[key];
  else copy[key] = v;
  return copy;
}

/** An empty v1 document. */
export function createFlow(init: { id: string; name: string; description?: string }): FlowDocument {
  return setOptional({ schemaVersion: 1, id: init.id, name: init.name, nodes: [], edges: [], parameters: [] } as FlowDocument, "description", init.description);
}

/** Appends a node (make its id with newId). Throws duplicate-node-id. */
export function addNode(doc: FlowDocument, node: FlowNode): FlowDocument {
  if (doc.nodes.some((n) => n.id === node.id)) throw new FlowEditError("duplicate-node-id", `a node with id ${quote(node.id)} already exists`);
  return { ...doc, nodes: [...doc.nodes, node] };
}

/** Removes a node, every edge into or out of it, and its place in a group. Throws node-not-found. */
export function removeNode(doc: FlowDocument, nodeId: string): FlowDocument {
  nodeIndex(doc, nodeId);
  return {
    ...doc,
    nodes: doc.nodes.filter((n) => n.id !== nodeId),
    edges: doc.edges.filter((e) => e.from.node !== nodeId && e.to.node !== nodeId),
    ...(doc.groups ? { groups: doc.groups.map((g) => (g.nodes.includes(nodeId) ? { ...g, nodes: g.nodes.filter((id) => id !== nodeId) } : g)) } : {}),
  };
}

export interface Connection {
  from: { node: string; port: string };
  to: { node: string };
}

export type ConnectCheck = { ok: true } | { ok: false; code: FlowEditErrorCode; reason: string };

/**
 * Whether `connect` would accept this connection, as a value. With a catalogue it also checks
 * that the port exists on the source node and that the target takes input.
 */
export function canConnect(doc: FlowDocument, connection: Connection, catalog?: CatalogLike): ConnectCheck {
  const { from, to } = connection;
  const source = doc.nodes.find((n) => n.id === from.node);
  const target = doc.nodes.find((n) => n.id === to.node);
  if (!source) return { ok: false, code: "node-not-found", reason: `node ${quote(from.node)} does not exist` };
  if (!target) return { ok: false, code: "node-not-found", reason: `node ${quote(to.node)} does not exist` };
  if (from.node === to.node) return { ok: false, code: "self-loop", reason: `node ${quote(from.node)} cannot connect to itself` };
  if (doc.edges.some((e) => e.from.node === from.node && e.from.port === from.port && e.to.node === to.node)) {
    return { ok: false, code: "duplicate-connection", reason: `${quote(from.node)}.${from.port} is already connected to ${quote(to.node)}` };
  }
  if (catalog) {
    const sourceInfo = catalog.get(source.type);
    const targetInfo = catalog.get(target.type);
    let ports: string[] | undefined;
    try {
      ports = sourceInfo?.outputPorts(source.config);
    } catch {
      ports = undefined; // config not valid yet: the port is checked again by validateFlow
    }
    if (ports && !ports.includes(from.port)) {
      return { ok: false, code: "unknown-port", reason: `node ${quote(from.node)} has no output port ${quote(from.port)}` };
    }
    if (targetInfo && !targetInfo.hasInput) {
      return { ok: false, code: "no-input", reason: `node ${quote(to.node)} (${quote(target.type)}) takes no input` };
    }
  }
  const nodes = doc.nodes.map((n) => n.id);
  const links = doc.edges.map((e) => ({ from: e.from.node, to: e.to.node }));
  if (wouldCreateCycle(nodes, links, from.node, to.node)) {
    return { ok: false, code: "cycle", reason: `connecting ${quote(from.node)} to ${quote(to.node)} would create a cycle` };
  }
  return { ok: true };
}

/**
 * Adds an edge. Throws FlowEditError (same codes as canConnect, plus duplicate-edge-id) for a
 * missing node, self loop, duplicate connection, cycle, and with a catalogue unknown port / no input.
 */
export function connect(
  doc: FlowDocument,
  edge: Connection & { id: string; settings?: FlowEdge["settings"] },
  catalog?: CatalogLike,
): FlowDocument {
  if (doc.edges.some((e) => e.id === edge.id)) throw new FlowEditError("duplicate-edge-id", `an edge with id ${quote(edge.id)} already exists`);
  const check = canConnect(doc, edge, catalog);
  if (!check.ok) throw new FlowEditError(check.code, check.reason);
  const created: FlowEdge = { id: edge.id, from: { node: edge.from.node, port: edge.from.port }, to: { node: edge.to.node } };
  return { ...doc, edges: [...doc.edges, setOptional(created, "settings", edge.settings)] };
}

/** Removes an edge. Throws edge-not-found. */
export function disconnect(doc: FlowDocument, edgeId: string): FlowDocument {
  edgeIndex(doc, edgeId);
  return { ...doc, edges: doc.edges.filter((e) => e.id !== edgeId) };
}

type Config = FlowNode["config"];

/** Replaces a node's config (or derives it from the current one). Throws node-not-found. */
export function updateConfig(doc: FlowDocument, nodeId: string, config: Config | ((current: Config) => Config)): FlowDocument {
  return withNode(doc, nodeId, (n) => ({ ...n, config: typeof config === "function" ? config(n.config) : config }));
}

/** Replaces a node's runtime settings; undefined removes them. Throws node-not-found. */
export function updateNodeSettings(doc: FlowDocument, nodeId: string, settings: FlowNode["settings"]): FlowDocument {
  return withNode(doc, nodeId, (n) => setOptional(n, "settings", settings));
}

/** Replaces an edge's settings; undefined removes them. Throws edge-not-found. */
export function updateEdgeSettings(doc: FlowDocument, edgeId: string, settings: FlowEdge["settings"]): FlowDocument {
  return withEdge(doc, edgeId, (e) => setOptional(e, "settings", settings));
}

/** Layout only: never a behaviour change (contentHash stays the same). Throws node-not-found. */
export function moveNode(doc: FlowDocument, nodeId: string, position: Position): FlowDocument {
  return withNode(doc, nodeId, (n) => ({ ...n, position: { x: position.x, y: position.y } }));
}

/** Sets a node's display name; undefined or "" removes it (the id is shown instead). Throws node-not-found. */
export function renameNode(doc: FlowDocument, nodeId: string, name: string | undefined): FlowDocument {
  return withNode(doc, nodeId, (n) => setOptional(n, "name", name === "" ? undefined : name));
}

/** Renames the flow. Throws invalid-name for an empty (or blank) name. */
export function renameFlow(doc: FlowDocument, name: string): FlowDocument {
  if (name.trim() === "") throw new FlowEditError("invalid-name", "a flow name must not be empty");
  return { ...doc, name };
}

/** Sets the flow description; undefined or "" removes it. */
export function setDescription(doc: FlowDocument, description: string | undefined): FlowDocument {
  return setOptional(doc, "description", description === "" ? undefined : description);
}

/** Sets the planner's default mode for edges that name none; undefined removes it (durable), and an emptied settings object goes too. */
export function setDefaultEdgeMode(doc: FlowDocument, mode: EdgeMode | undefined): FlowDocument {
  const settings = setOptional({ ...doc.settings }, "defaultEdgeMode", mode);
  return setOptional(doc, "settings", Object.keys(settings).length ? settings : undefined);
}

/**
 * Replaces the parameter list. Throws invalid-parameters for a bad name or a duplicate name.
 * (To keep secrets a browser never saw, pass the result through restoreSensitive on the engine.)
 */
export function setParameters(doc: FlowDocument, parameters: readonly FlowParameter[]): FlowDocument {
  const seen = new Set<string>();
  for (const p of parameters) {
    if (!ParameterSchema.shape.name.safeParse(p.name).success) {
      throw new FlowEditError("invalid-parameters", `invalid parameter name ${quote(p.name)} (letters, digits, _ . - only)`);
    }
    if (seen.has(p.name)) throw new FlowEditError("invalid-parameters", `duplicate parameter name ${quote(p.name)}`);
    seen.add(p.name);
  }
  return { ...doc, parameters: parameters.map((p) => ({ name: p.name, value: p.value, sensitive: p.sensitive ?? false })) };
}
