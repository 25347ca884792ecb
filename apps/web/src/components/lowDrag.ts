/**
 * A drag while zoomed far out, drawn without React Flow's store: the dragged nodes' transparent
 * wrappers are moved in the DOM and the low-detail layers redraw their boxes and edges from the
 * positions here. An update of React Flow's store re-runs a selector in every node wrapper (5,000
 * for a 5,000-node flow) and re-adopts every node, on each frame of the drag; what people see at
 * this zoom is our layers, which only need the few dragged positions. The document (and with it
 * React Flow's store) gets the final positions once, on drop, as before.
 */
import type { InternalNode } from "@xyflow/react";
import type { Position } from "@millrace/flow";

export interface LowDragFeed {
  /** positions of the nodes being dragged, while a low-detail drag is on */
  readonly positions: Readonly<Record<string, Position>> | null;
  /** Called after each move; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

export class LowDrag implements LowDragFeed {
  positions: Readonly<Record<string, Position>> | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly wrappers = new Map<string, HTMLElement | null>();

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Shows the dragged nodes at `positions`. False when this drag cannot be drawn this way (a node
   * inside a parent, or not a processor): the caller updates React Flow's store instead.
   */
  move(positions: Readonly<Record<string, Position>>, nodeLookup: ReadonlyMap<string, InternalNode>, domNode: Element | null): boolean {
    if (!domNode) return false;
    for (const id in positions) {
      const n = nodeLookup.get(id);
      if (!n || n.parentId || n.type !== "processor") return false;
    }
    this.positions = positions;
    for (const id in positions) {
      let el = this.wrappers.get(id);
      if (el === undefined) {
        el = domNode.querySelector<HTMLElement>(`.react-flow__node[data-id="${CSS.escape(id)}"]`);
        this.wrappers.set(id, el);
      }
      // what React Flow writes for a node without a parent (its store catches up on drop)
      const p = positions[id]!;
      if (el) el.style.transform = wrapperTransform(p);
    }
    for (const l of this.listeners) l();
    return true;
  }

  /**
   * The drag is over: the layers go back to React Flow's positions a frame later, once the
   * document's new positions have reached its store (the same places: nothing jumps).
   */
  end(): void {
    if (!this.positions) return;
    const ended = this.positions;
    this.wrappers.clear();
    requestAnimationFrame(() => {
      // a new drag has started meanwhile: its positions stay
      if (this.positions !== ended) return;
      this.positions = null;
      for (const l of this.listeners) l();
    });
  }
}

/** React Flow's transform of a node wrapper at `p` (node origin 0,0). */
export function wrapperTransform(p: Position): string {
  return `translate(${p.x}px,${p.y}px)`;
}

/** Where a node is drawn: its dragged position while a low-detail drag moves it, else React Flow's. */
export function drawnPosition(feed: LowDragFeed, id: string, node: InternalNode | undefined): Position | undefined {
  return feed.positions?.[id] ?? (node && !node.hidden ? node.internals.positionAbsolute : undefined);
}
