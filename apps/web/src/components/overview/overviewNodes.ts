import type { Node } from "@xyflow/react";
import { LOW_H, LOW_W } from "../lowDetail";

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
