/**
 * Pure edit operations over the flow document.
 *
 * TEMPORARY: @millrace/flow is getting its own edit ops; when they land, these become thin
 * re-exports. Every op returns a new document (or the same object when nothing changed), never
 * mutates its input, and keeps the document valid as a graph (no edge to a missing node).
 */
import type { FlowDocument, FlowEdge, FlowNode, Position } from "@millrace/flow";

export type EdgeSettings = NonNullable<FlowEdge["settings"]>;

export function emptyDocument(id: string, name: string): FlowDocument {
  return { schemaVersion: 1, id, name, nodes: [], edges: [], parameters: [] };
}

/** A readable id unique in the document: `filter-1`, `filter-2`, ... */
export function nextNodeId(doc: Pick<FlowDocument, "nodes">, type: string, taken: Set<string> = new Set()): string {
  const ids = new Set(doc.nodes.map((n) => n.id));
  for (let i = 1; ; i++) {
    const id = `${type}-${i}`;
    if (!ids.has(id) && !taken.has(id)) return id;
  }
}

export function edgeId(from: string, port: string, to: string): string {
  return `${from}.${port}->${to}`;
}

export function renameFlow(doc: FlowDocument, name: string): FlowDocument {
  return doc.name === name ? doc : { ...doc, name };
}

export function addNode(doc: FlowDocument, node: FlowNode): FlowDocument {
  if (doc.nodes.some((n) => n.id === node.id)) throw new Error(`node ${node.id} already exists`);
  return { ...doc, nodes: [...doc.nodes, node] };
}

/** Adds nodes and edges at once (paste). Edges whose ends are missing are dropped. */
export function addSubgraph(doc: FlowDocument, nodes: FlowNode[], edges: FlowEdge[]): FlowDocument {
  const ids = new Set(doc.nodes.map((n) => n.id));
  for (const n of nodes) {
    if (ids.has(n.id)) throw new Error(`node ${n.id} already exists`);
    ids.add(n.id);
  }
  const edgeIds = new Set(doc.edges.map((e) => e.id));
  const keep = edges.filter((e) => ids.has(e.from.node) && ids.has(e.to.node) && !edgeIds.has(e.id));
  return { ...doc, nodes: [...doc.nodes, ...nodes], edges: [...doc.edges, ...keep] };
}

/** Removes nodes (and every edge touching them) and edges. */
export function removeElements(doc: FlowDocument, nodeIds: Iterable<string>, edgeIds: Iterable<string> = []): FlowDocument {
  const nodes = new Set(nodeIds);
  const edges = new Set(edgeIds);
  if (nodes.size === 0 && edges.size === 0) return doc;
  const nextNodes = doc.nodes.filter((n) => !nodes.has(n.id));
  const nextEdges = doc.edges.filter((e) => !edges.has(e.id) && !nodes.has(e.from.node) && !nodes.has(e.to.node));
  if (nextNodes.length === doc.nodes.length && nextEdges.length === doc.edges.length) return doc;
  return { ...doc, nodes: nextNodes, edges: nextEdges };
}

export function moveNodes(doc: FlowDocument, positions: Record<string, Position>): FlowDocument {
  let changed = false;
  const nodes = doc.nodes.map((n) => {
    const p = positions[n.id];
    if (!p || (p.x === n.position.x && p.y === n.position.y)) return n;
    changed = true;
    return { ...n, position: { x: p.x, y: p.y } };
  });
  return changed ? { ...doc, nodes } : doc;
}

export function updateNode(doc: FlowDocument, id: string, patch: Partial<Omit<FlowNode, "id">>): FlowDocument {
  let found = false;
  const nodes = doc.nodes.map((n) => {
    if (n.id !== id) return n;
    found = true;
    const next = { ...n, ...patch };
    if (patch.name === "") delete next.name;
    return next;
  });
  return found ? { ...doc, nodes } : doc;
}

export function setNodeConfig(doc: FlowDocument, id: string, config: Record<string, unknown>): FlowDocument {
  return updateNode(doc, id, { config });
}

/**
 * Connects `from.port` to `to`. Refuses (returns doc unchanged) self loops, duplicates and
 * missing nodes. Returns the new document.
 */
export function connect(doc: FlowDocument, from: { node: string; port: string }, to: { node: string }, settings?: EdgeSettings): FlowDocument {
  if (from.node === to.node) return doc;
  if (!doc.nodes.some((n) => n.id === from.node) || !doc.nodes.some((n) => n.id === to.node)) return doc;
  if (doc.edges.some((e) => e.from.node === from.node && e.from.port === from.port && e.to.node === to.node)) return doc;
  let id = edgeId(from.node, from.port, to.node);
  for (let i = 2; doc.edges.some((e) => e.id === id); i++) id = `${edgeId(from.node, from.port, to.node)}#${i}`;
  const edge: FlowEdge = { id, from: { ...from }, to: { ...to } };
  if (settings && Object.keys(settings).length) edge.settings = settings;
  return { ...doc, edges: [...doc.edges, edge] };
}

export function updateEdgeSettings(doc: FlowDocument, id: string, settings: EdgeSettings): FlowDocument {
  let found = false;
  const edges = doc.edges.map((e) => {
    if (e.id !== id) return e;
    found = true;
    const clean: EdgeSettings = {};
    for (const [k, v] of Object.entries(settings)) if (v !== undefined && v !== "") clean[k] = v;
    const next: FlowEdge = { ...e };
    if (Object.keys(clean).length) next.settings = clean;
    else delete next.settings;
    return next;
  });
  return found ? { ...doc, edges } : doc;
}

/** Does a path exist from `a` to `b` along edges? (used to warn about cycles) */
export function reaches(doc: FlowDocument, a: string, b: string): boolean {
  const seen = new Set<string>();
  const stack = [a];
  while (stack.length) {
    const cur = stack.pop()!;
    if (cur === b) return true;
    if (seen.has(cur)) continue;
    seen.add(cur);
    for (const e of doc.edges) if (e.from.node === cur) stack.push(e.to.node);
  }
  return false;
}
