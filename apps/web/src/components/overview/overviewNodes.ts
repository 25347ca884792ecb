import { Position, type Node, type NodeHandle } from "@xyflow/react";
import { LOW_H, LOW_W } from "../lowDetail";
import type { ProcessorRFNode } from "../ProcessorNode";

/**
 * React Flow's nodes while the overview draws them: hidden (React Flow renders no element for
 * them), with the box's size so fits and bounds still count them. Copies are kept per node
 * object: an unchanged node stays the same object, which React Flow skips.
 */
export function hiddenForOverview<N extends Node>(nodes: readonly N[], cache: WeakMap<N, N>): N[] {
  return nodes.map((n) => {
    let hidden = cache.get(n);
    if (!hidden) {
      hidden = { ...n, hidden: true, width: LOW_W, height: LOW_H };
      // a size measured zoomed in (with ports) is not the box drawn here
      delete hidden.measured;
      cache.set(n, hidden);
    }
    return hidden;
  });
}

/** Where a full node's handles are before React Flow has measured it (styles.css: header, then one 20 px row per output port). */
const FULL_HEAD = 51;
const PORT_ROW = 20;

/**
 * A big flow zoomed in, React Flow's nodes that were never measured: React Flow renders every
 * node without handle bounds at once, in view or not, to measure it (5,000 full nodes on the
 * first zoom-in from the overview). With an estimated size and handles it renders only those in
 * view, measures them, and an edge to a node off-screen still ends at about its port. A node
 * with a measured size is left as it is (React Flow keeps its measured handles).
 */
export function estimatedUntilMeasured(nodes: readonly ProcessorRFNode[], cache: WeakMap<ProcessorRFNode, ProcessorRFNode>): ProcessorRFNode[] {
  return nodes.map((n) => {
    if (n.measured) return n;
    let est = cache.get(n);
    if (!est) {
      const { ports, hasInput } = n.data;
      const handles: NodeHandle[] = ports.map((id, i) => ({ id, type: "source", position: Position.Right, x: LOW_W - 70, y: FULL_HEAD + i * PORT_ROW, width: 75, height: PORT_ROW }));
      if (hasInput) handles.push({ id: "in", type: "target", position: Position.Left, x: -10.5, y: 19.5, width: 11, height: 11 });
      est = { ...n, handles, initialWidth: LOW_W, initialHeight: FULL_HEAD + Math.max(1, ports.length) * PORT_ROW + 5 };
      cache.set(n, est);
    }
    return est;
  });
}
