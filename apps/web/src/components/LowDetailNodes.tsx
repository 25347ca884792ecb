import { memo, useLayoutEffect, useRef } from "react";
import { createPortal } from "react-dom";
import { useStoreApi, type InternalNode } from "@xyflow/react";
import type { FlowNode } from "@millrace/flow";
import { getSpec } from "../catalog/specs";
import type { CanvasProblems } from "../doc/validate";
import { useLineageStore } from "../store/lineageStore";
import { useShallow } from "zustand/react/shallow";
import { useStatsStore } from "../store/statsStore";
import { bandPath, LOW_W, LOW_H, lowMarks, lowNodeClass, lowTitle } from "./lowDetail";
import { drawnPosition, type LowDragFeed } from "./lowDrag";

interface Props {
  nodes: FlowNode[];
  selected: ReadonlySet<string>;
  problems: CanvasProblems;
  /** where to draw: React Flow's edge-label layer (above the edges, below React Flow's nodes) */
  root: Element;
  /** ids of the nodes being dragged: drawn in a small svg of their own, redrawn alone on each frame */
  moving: ReadonlySet<string>;
  /** so far out that only the boxes are drawn (no titles) */
  tiny: boolean;
  /** where the dragged nodes are during a drag (React Flow's store gets them on drop) */
  drag: LowDragFeed;
}

/**
 * Zoomed far out: what every node looks like (a coloured box with its title), drawn as plain
 * shapes in ONE svg, not inside React Flow's 1,000 node wrappers: each wrapper is a CSS transform
 * of its own, and boxes drawn inside them are 1,000 separately placed pieces that Chromium
 * re-sorts on every frame of a drag (and 1,000 absolutely placed HTML boxes are re-laid out
 * together when one moves); svg shapes placed by x/y are neither. React Flow keeps its nodes
 * (transparent boxes of the same size, see ProcessorNode): they are what is measured, hovered,
 * clicked, selected and dragged. Positions are copied from React Flow's internal nodes on every
 * store update, only for the nodes that changed, and during a drag from the drag itself (see
 * lowDrag: a box moves in the same frame as its node's wrapper). Selection, problems, lineage and
 * live marks as before.
 */
function LowDetailNodesImpl({ nodes, selected, problems, root, moving, tiny, drag }: Props) {
  const store = useStoreApi();
  const lineage = useLineageStore((s) => s.nodes);
  const hover = useLineageStore((s) => s.hover);
  // one subscription for the live marks of all boxes (not one per box)
  const marks = useStatsStore(useShallow((st) => lowMarks(st.nodes)));
  const boxes = useRef(new Map<string, SVGGElement>());
  // per element: a box that went to the other svg (a drag started or ended) is a new element
  const drawnRef = useRef(new WeakMap<SVGGElement, { i: InternalNode | undefined; tiny: boolean; place: string; dragged: boolean }>());

  useLayoutEffect(() => {
    const drawn = drawnRef.current;
    // during a drag only the dragged boxes can move
    const list = moving.size ? nodes.filter((n) => moving.has(n.id)) : nodes;
    const draw = () => {
      const { nodeLookup } = store.getState();
      for (const n of list) {
        const g = boxes.current.get(n.id);
        if (!g) continue;
        const i = nodeLookup.get(n.id);
        const prev = drawn.get(g);
        const dragged = drag.positions?.[n.id];
        if (prev && prev.i === i && prev.tiny === tiny && !dragged && !prev.dragged) continue;
        // a new internal node is often the same place (React Flow measured it): no DOM write then
        const at = drawnPosition(drag, n.id, i);
        const place = at ? `${at.x},${at.y}` : "";
        drawn.set(g, { i, tiny, place, dragged: !!dragged });
        if (prev && prev.place === place && prev.tiny === tiny) continue;
        if (!at) {
          g.setAttribute("display", "none");
          continue;
        }
        if (prev && !prev.place) g.removeAttribute("display");
        placeBox(g, at.x, at.y);
      }
    };
    draw();
    const offStore = store.subscribe(draw);
    const offDrag = drag.subscribe(draw);
    return () => {
      offStore();
      offDrag();
    };
  }, [nodes, moving, tiny, store, drag]);

  const box = (n: FlowNode) => {
    const spec = getSpec(n.type);
    return (
      <LowBox
        key={n.id}
        id={n.id}
        title={n.name || spec?.title || n.type}
        cls={lowNodeClass(spec?.kind, selected.has(n.id), !!problems.nodes[n.id]?.length, lineage.has(n.id), hover === n.id)}
        tiny={tiny}
        mark={marks[n.id]}
        boxes={boxes.current}
      />
    );
  };
  return createPortal(
    <>
      <svg className="mr-low-nodes" width={1} height={1} aria-hidden="true">
        {(moving.size ? nodes.filter((n) => !moving.has(n.id)) : nodes).map(box)}
      </svg>
      <svg className="mr-low-nodes moving" width={1} height={1} aria-hidden="true">
        {moving.size > 0 && nodes.filter((n) => moving.has(n.id)).map(box)}
      </svg>
    </>,
    root,
  );
}

/** Moves a box's shapes (no transform: a transform per box is what this layer avoids). */
function placeBox(g: SVGGElement, x: number, y: number) {
  for (let el = g.firstElementChild; el; el = el.nextElementSibling) placeShape(el, x, y);
}

/** Where a box's shapes sit in it: the band on top, the title inset, the live mark on the top-right corner. */
function placeShape(el: Element, x: number, y: number) {
  const tag = el.tagName;
  if (tag === "path") el.setAttribute("d", bandPath(x, y));
  else if (tag === "circle") {
    el.setAttribute("cx", String(x + LOW_W));
    el.setAttribute("cy", String(y));
  } else {
    el.setAttribute("x", String(tag === "text" ? x + 10 : x));
    el.setAttribute("y", String(tag === "text" ? y + 29 : y));
  }
}

/** A live mark that appears on a box already placed: put it where the box is (the layer moves it with the box after). */
export function placeWithBox(el: Element | null) {
  const box = el?.parentElement?.firstElementChild;
  if (!el || !box || box === el || !box.hasAttribute("x")) return;
  placeShape(el, Number(box.getAttribute("x")), Number(box.getAttribute("y")));
}

interface BoxProps {
  id: string;
  title: string;
  cls: string;
  tiny: boolean;
  /** live mark: failing now or paused (a dot on the top-right corner) */
  mark: "fail" | "paused" | undefined;
  boxes: Map<string, SVGGElement>;
}

const LowBox = memo(function LowBox({ id, title, cls, tiny, mark, boxes }: BoxProps) {
  return (
    <g
      className={cls}
      data-testid={`lownode-${id}`}
      ref={(el) => {
        if (el) boxes.set(id, el);
        else boxes.delete(id);
      }}
    >
      <rect className="mr-lnode-box" width={LOW_W} height={LOW_H} rx={8} />
      {/* so far out that a title is a smear of pixels: boxes only */}
      {!tiny && <path className="mr-lnode-band" />}
      {!tiny && <text className="mr-lnode-title">{lowTitle(title)}</text>}
      {mark && <circle className={`mr-lnode-mark ${mark}`} r={9} ref={placeWithBox} data-testid={`node-lowmark-${id}`} />}
    </g>
  );
});

export const LowDetailNodes = memo(LowDetailNodesImpl);
