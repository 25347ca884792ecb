/**
 * Document edits the designer needs, built on the pure edit operations of @millrace/flow
 * (which throw FlowEditError when an edit cannot apply). This module adds the designer's
 * bulk/UI-shaped edits (delete a selection, move several nodes, paste a subgraph) and
 * readable node ids. Every function returns a new document, or the same object when
 * nothing changed (so the store can skip an undo step).
 */
import * as flow from "@millrace/flow";
import type { CatalogLike, FlowDocument, FlowEdge, FlowNode, Position } from "@millrace/flow";

export type EdgeSettings = NonNullable<FlowEdge["settings"]>;

export function emptyDocument(id: string, name: string): FlowDocument {
  return flow.createFlow({ id, name });
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

function freeEdgeId(doc: FlowDocument, from: string, port: string, to: string): string {
  const base = edgeId(from, port, to);
  let id = base;
  for (let i = 2; doc.edges.some((e) => e.id === id); i++) id = `${base}#${i}`;
  return id;
}

export function renameFlow(doc: FlowDocument, name: string): FlowDocument {
  return doc.name === name ? doc : flow.renameFlow(doc, name);
}

export const addNode = flow.addNode;

/** Adds nodes and edges at once (paste). Edges that cannot be added (missing end, cycle...) are dropped. */
export function addSubgraph(doc: FlowDocument, nodes: FlowNode[], edges: FlowEdge[]): FlowDocument {
  let d = doc;
  for (const n of nodes) d = flow.addNode(d, n);
  for (const e of edges) {
    try {
      d = flow.connect(d, { ...e, id: d.edges.some((x) => x.id === e.id) ? freeEdgeId(d, e.from.node, e.from.port, e.to.node) : e.id });
    } catch {
      /* skip */
    }
  }
  return d;
}

/** Removes nodes (with every edge touching them) and edges; unknown ids are ignored. */
export function removeElements(doc: FlowDocument, nodeIds: Iterable<string>, edgeIds: Iterable<string> = []): FlowDocument {
  let d = doc;
  for (const id of new Set(edgeIds)) if (d.edges.some((e) => e.id === id)) d = flow.disconnect(d, id);
  for (const id of new Set(nodeIds)) if (d.nodes.some((n) => n.id === id)) d = flow.removeNode(d, id);
  return d;
}

export function moveNodes(doc: FlowDocument, positions: Record<string, Position>): FlowDocument {
  let d = doc;
  for (const n of doc.nodes) {
    const p = positions[n.id];
    if (p && (p.x !== n.position.x || p.y !== n.position.y)) d = flow.moveNode(d, n.id, p);
  }
  return d;
}

export function renameNode(doc: FlowDocument, id: string, name: string): FlowDocument {
  const n = doc.nodes.find((x) => x.id === id);
  if (!n || (n.name ?? "") === name) return doc;
  return flow.renameNode(doc, id, name);
}

export function setNodeConfig(doc: FlowDocument, id: string, config: Record<string, unknown>): FlowDocument {
  return flow.updateConfig(doc, id, config);
}

export function setNodeSettings(doc: FlowDocument, id: string, settings: FlowNode["settings"]): FlowDocument {
  return flow.updateNodeSettings(doc, id, settings && Object.keys(settings).length ? settings : undefined);
}

/** Can this connection be made? (xyflow's isValidConnection; same reasons `connect` would throw.) */
export function canConnect(doc: FlowDocument, from: { node: string; port: string }, to: { node: string }, catalog?: CatalogLike) {
  return flow.canConnect(doc, { from, to }, catalog);
}

/** Connects `from.port` to `to`; throws FlowEditError (self loop, duplicate, cycle...) like @millrace/flow. */
export function connect(doc: FlowDocument, from: { node: string; port: string }, to: { node: string }, catalog?: CatalogLike): FlowDocument {
  return flow.connect(doc, { id: freeEdgeId(doc, from.node, from.port, to.node), from: { ...from }, to: { ...to } }, catalog);
}

/** Sets edge settings, dropping empty values (and the settings object when nothing is left). */
export function updateEdgeSettings(doc: FlowDocument, id: string, settings: EdgeSettings): FlowDocument {
  const clean: EdgeSettings = {};
  for (const [k, v] of Object.entries(settings)) if (v !== undefined && v !== "") clean[k] = v;
  return flow.updateEdgeSettings(doc, id, Object.keys(clean).length ? clean : undefined);
}
