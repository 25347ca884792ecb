/**
 * Auto-layout with ELK (layered, left to right). elkjs is loaded on first use only, as
 * its own chunk, so it costs nothing until someone presses "Auto-layout".
 */
import type { FlowDocument, Position } from "@millrace/flow";

export async function autoLayout(
  doc: FlowDocument,
  sizes: Record<string, { width: number; height: number }>,
): Promise<Record<string, Position>> {
  const { default: ELK } = await import("elkjs/lib/elk.bundled.js");
  const elk = new ELK();
  const graph = {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.layered.spacing.nodeNodeBetweenLayers": "90",
      "elk.spacing.nodeNode": "40",
      "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
      "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
    },
    children: doc.nodes.map((n) => ({ id: n.id, width: sizes[n.id]?.width ?? 220, height: sizes[n.id]?.height ?? 100 })),
    edges: doc.edges
      .filter((e) => doc.nodes.some((n) => n.id === e.from.node) && doc.nodes.some((n) => n.id === e.to.node))
      .map((e) => ({ id: e.id, sources: [e.from.node], targets: [e.to.node] })),
  };
  const out = await elk.layout(graph);
  const positions: Record<string, Position> = {};
  for (const c of out.children ?? []) positions[c.id] = { x: Math.round((c.x ?? 0) / 10) * 10 + 40, y: Math.round((c.y ?? 0) / 10) * 10 + 40 };
  return positions;
}
