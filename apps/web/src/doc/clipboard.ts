/**
 * Copy/paste of a part of a flow. Pure; the store and the browser clipboard are elsewhere.
 * The clip is plain JSON so it survives localStorage and moving to another flow.
 */
import type { FlowDocument, FlowEdge, FlowNode } from "@millrace/flow";
import { nextNodeId, edgeId } from "./ops";

export const CLIP_KIND = "millrace/clip@1";

export interface Clip {
  kind: typeof CLIP_KIND;
  nodes: FlowNode[];
  edges: FlowEdge[];
}

/** The selected nodes plus the edges between them (edges to unselected nodes are left out). */
export function copySelection(doc: FlowDocument, nodeIds: Iterable<string>): Clip | null {
  const ids = new Set(nodeIds);
  const nodes = doc.nodes.filter((n) => ids.has(n.id));
  if (nodes.length === 0) return null;
  const edges = doc.edges.filter((e) => ids.has(e.from.node) && ids.has(e.to.node));
  return structuredClone({ kind: CLIP_KIND, nodes, edges });
}

export function parseClip(text: string | null | undefined): Clip | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text);
    if (v && v.kind === CLIP_KIND && Array.isArray(v.nodes) && Array.isArray(v.edges)) return v as Clip;
  } catch {
    /* not ours */
  }
  return null;
}

/**
 * Gives the clip fresh ids that do not collide with `doc`, and shifts it by `offset`
 * (or places its top-left corner at `at`). Returns the nodes and edges to add.
 */
export function prepareClip(
  doc: FlowDocument,
  clip: Clip,
  place: { offset?: { x: number; y: number }; at?: { x: number; y: number } } = {},
): { nodes: FlowNode[]; edges: FlowEdge[] } {
  const taken = new Set<string>();
  const idMap = new Map<string, string>();
  for (const n of clip.nodes) {
    const id = nextNodeId(doc, n.type, taken);
    taken.add(id);
    idMap.set(n.id, id);
  }
  const minX = Math.min(...clip.nodes.map((n) => n.position.x));
  const minY = Math.min(...clip.nodes.map((n) => n.position.y));
  const dx = place.at ? place.at.x - minX : (place.offset?.x ?? 40);
  const dy = place.at ? place.at.y - minY : (place.offset?.y ?? 40);
  const nodes = clip.nodes.map((n) => ({
    ...structuredClone(n),
    id: idMap.get(n.id)!,
    position: { x: n.position.x + dx, y: n.position.y + dy },
  }));
  const edges = clip.edges
    .filter((e) => idMap.has(e.from.node) && idMap.has(e.to.node))
    .map((e) => {
      const from = idMap.get(e.from.node)!;
      const to = idMap.get(e.to.node)!;
      const edge: FlowEdge = { id: edgeId(from, e.from.port, to), from: { node: from, port: e.from.port }, to: { node: to } };
      if (e.settings) edge.settings = structuredClone(e.settings);
      return edge;
    });
  return { nodes, edges };
}
