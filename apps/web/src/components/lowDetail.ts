/** Pure pieces of the low-detail canvas (unit-tested): box class, title, band, the fit on load. */
import { getViewportForBounds } from "@xyflow/react";
import type { FlowNode } from "@millrace/flow";
import { isRecentError, type NodeLive } from "../store/statsStore";
import { LOW_DETAIL_ZOOM } from "./canvasDetail";

/**
 * The canvas's zoom range and the fit's padding/max zoom (Canvas passes the same to React Flow).
 * The least zoom lets a flow of 5,000 nodes in 200 rows be seen whole in a laptop's canvas.
 */
export const FIT_LIMITS = { minZoom: 0.02, maxZoom: 1, padding: 0.12 } as const;

/** The low-detail box's class. */
export function lowNodeClass(kind: string | undefined, selected: boolean, invalid: boolean, onLineage: boolean, hovered: boolean): string {
  return `mr-lnode kind-${kind ?? "unknown"}${selected ? " selected" : ""}${invalid ? " invalid" : ""}${onLineage ? " lineage" : ""}${hovered ? " lineage-hover" : ""}`;
}

/** A title as it fits a low-detail box (an SVG text has no ellipsis; bold 15px: ~20 characters). */
export function lowTitle(title: string, max = 20): string {
  return title.length <= max ? title : `${title.slice(0, max - 1).trimEnd()}…`;
}

/** Box size of a low-detail node (React Flow's transparent node has the same, see styles.css .mr-node-hit). */
export const LOW_W = 210;
export const LOW_H = 44;

/** The coloured band along a box's top, inside its rounded corners (radius 8, 6 high). */
export function bandPath(x: number, y: number): string {
  return `M${x + 0.25},${y + 6}A8,8 0 0 1 ${x + 8},${y}H${x + LOW_W - 8}A8,8 0 0 1 ${x + LOW_W - 0.25},${y + 6}Z`;
}

/** The view that shows all of `doc`, from node positions and known or estimated sizes (null: nothing to fit). */
export function estimateFit(doc: { nodes: FlowNode[] }, measured: Record<string, { width: number; height: number }>, width: number, height: number) {
  if (!doc.nodes.length || !width || !height) return null;
  const fitFor = (h: number) => {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const n of doc.nodes) {
      const m = measured[n.id];
      x0 = Math.min(x0, n.position.x);
      y0 = Math.min(y0, n.position.y);
      x1 = Math.max(x1, n.position.x + (m?.width ?? LOW_W)); // nodes are 210 wide at every detail
      y1 = Math.max(y1, n.position.y + (m?.height ?? h));
    }
    return getViewportForBounds({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, width, height, FIT_LIMITS.minZoom, FIT_LIMITS.maxZoom, FIT_LIMITS.padding);
  };
  const vp = fitFor(100);
  return vp.zoom < LOW_DETAIL_ZOOM ? fitFor(LOW_H) : vp; // drawn as low-detail boxes
}


/** Nodes with a live mark at low detail: failing now (an error in the last seconds) or paused. */
export function lowMarks(nodes: Record<string, NodeLive>, now = Date.now()): Record<string, "fail" | "paused"> {
  const out: Record<string, "fail" | "paused"> = {};
  for (const id in nodes) {
    const n = nodes[id]!;
    if (isRecentError(n.lastErrorAt, now)) out[id] = "fail";
    else if (n.paused) out[id] = "paused";
  }
  return out;
}
