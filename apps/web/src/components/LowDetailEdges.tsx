import { memo, useLayoutEffect, useRef } from "react";
import { createPortal } from "react-dom";
import { useStoreApi, type InternalNode } from "@xyflow/react";
import type { FlowEdge } from "@millrace/flow";
import type { CanvasProblems } from "../doc/validate";
import type { EdgeRuntime } from "../edgeRuntime";
import { useLineageStore } from "../store/lineageStore";
import type { LowDragFeed } from "./lowDrag";

interface Props {
  edges: FlowEdge[];
  /** how each edge runs (deployed plan or document) */
  runtimes: Map<string, EdgeRuntime>;
  selected: ReadonlySet<string>;
  problems: CanvasProblems;
  /** where to draw: React Flow's edge-label layer, which lies above its edges and below the nodes */
  root: Element;
  /** ids of the nodes being dragged (their edges are drawn apart, see below) */
  moving: ReadonlySet<string>;
  /** where the dragged nodes are during a drag (React Flow's store gets them on drop) */
  drag: LowDragFeed;
}

/**
 * Zoomed far out: every edge as a straight line in ONE svg, instead of 1,200 React Flow edge
 * components (each its own <svg>, its own store subscription and re-render on every frame of a
 * drag). React draws the paths and their classes; their `d` is set here from React Flow's
 * internal node positions (a dragged node's from the drag, see lowDrag), and only for the edges
 * whose end nodes changed (a dragged node moves its own few edges). During a drag, the dragged
 * nodes' edges are drawn in a second, small svg, so the big one is not redrawn on every frame. Nothing is clickable at this zoom, as before.
 */
function LowDetailEdgesImpl({ edges, runtimes, selected, problems, root, moving, drag }: Props) {
  const store = useStoreApi();
  const pairs = useLineageStore((s) => s.pairs);
  const paths = useRef(new Map<string, SVGPathElement>());
  // per element: an edge that went to the other svg (a drag started or ended) is a new element
  const drawnRef = useRef(new WeakMap<SVGPathElement, { s: InternalNode | undefined; t: InternalNode | undefined; d: string; dragged: boolean }>());

  useLayoutEffect(() => {
    const drawn = drawnRef.current;
    // during a drag only the dragged nodes' edges can move
    const list = moving.size ? edges.filter((e) => moving.has(e.from.node) || moving.has(e.to.node)) : edges;
    const draw = () => {
      const { nodeLookup } = store.getState();
      for (const e of list) {
        const el = paths.current.get(e.id);
        if (!el) continue;
        const s = nodeLookup.get(e.from.node);
        const t = nodeLookup.get(e.to.node);
        const prev = drawn.get(el);
        const dragged = !!(drag.positions && (drag.positions[e.from.node] || drag.positions[e.to.node]));
        if (prev && prev.s === s && prev.t === t && !dragged && !prev.dragged) continue;
        let d = "";
        if (s && t) {
          // the low-detail ports sit at the middle of the node's left and right sides
          const sp = drag.positions?.[e.from.node] ?? s.internals.positionAbsolute;
          const tp = drag.positions?.[e.to.node] ?? t.internals.positionAbsolute;
          const sx = sp.x + (s.measured.width ?? s.width ?? 0);
          const sy = sp.y + (s.measured.height ?? s.height ?? 0) / 2;
          const ty = tp.y + (t.measured.height ?? t.height ?? 0) / 2;
          d = `M${round(sx)},${round(sy)}L${round(tp.x)},${round(ty)}`;
        }
        drawn.set(el, { s, t, d, dragged });
        // new internal nodes often draw the same line (React Flow measured them): no DOM write then
        if (prev && prev.d === d) continue;
        if (d) el.setAttribute("d", d);
        else el.removeAttribute("d");
      }
    };
    draw();
    const offStore = store.subscribe(draw);
    const offDrag = drag.subscribe(draw);
    return () => {
      offStore();
      offDrag();
    };
  }, [edges, moving, store, drag]);

  const path = (e: FlowEdge) => {
    const cls = [
      "react-flow__edge-path mr-edge",
      e.from.port === "failure" ? "failure" : "",
      runtimes.get(e.id)?.mode ?? "durable",
      selected.has(e.id) ? "selected" : "",
      problems.edges[e.id]?.length ? "invalid" : "",
      pairs.has(`${e.from.node}|${e.to.node}`) ? "lineage" : "",
    ].join(" ");
    return (
      <g key={e.id} className="react-flow__edge" data-id={e.id}>
        <path
          className={cls}
          ref={(el) => {
            if (el) paths.current.set(e.id, el);
            else paths.current.delete(e.id);
          }}
        />
      </g>
    );
  };
  const still = moving.size ? edges.filter((e) => !moving.has(e.from.node) && !moving.has(e.to.node)) : edges;
  const moved = moving.size ? edges.filter((e) => moving.has(e.from.node) || moving.has(e.to.node)) : [];
  return createPortal(
    <>
      <svg className="mr-low-edges" width={1} height={1} aria-hidden="true">
        {still.map(path)}
      </svg>
      {/* the edges of the nodes being dragged: only this small svg is redrawn on each frame of a drag */}
      <svg className="mr-low-edges moving" width={1} height={1} aria-hidden="true">
        {moved.map(path)}
      </svg>
    </>,
    root,
  );
}

const round = (v: number) => Math.round(v * 10) / 10;

export const LowDetailEdges = memo(LowDetailEdgesImpl);
