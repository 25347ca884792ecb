import { memo, useEffect, useLayoutEffect, useMemo, useRef, type RefObject } from "react";
import { useReactFlow, useStoreApi } from "@xyflow/react";
import { useShallow } from "zustand/react/shallow";
import type { FlowEdge, FlowNode, NodeDiff, Position } from "@millrace/flow";
import { getSpec } from "../../catalog/specs";
import type { CanvasProblems } from "../../doc/validate";
import { flowActions, useFlowStore } from "../../store/flowStore";
import { useLineageStore } from "../../store/lineageStore";
import { useStatsStore } from "../../store/statsStore";
import { groupUi } from "../../groups/groupStore";
import { groupActions } from "../../groups/groupActions";
import { lowMarks } from "../lowDetail";
import { NodeIndex } from "./nodeIndex";
import { buildScene, edgesTouching, type Scene } from "./overviewScene";
import { paintScene, sizeCanvas, type ViewBox } from "./overviewPaint";
import { clickSelection, draggedPositions, dragTargets, pastThreshold, unmoved, type DragStart } from "./overviewDrag";

interface Props {
  nodes: FlowNode[];
  edges: FlowEdge[];
  selectedNodes: ReadonlySet<string>;
  selectedEdges: ReadonlySet<string>;
  problems: CanvasProblems;
  /** in compare mode: what differs about each node */
  diffs: ReadonlyMap<string, NodeDiff> | null;
  /** positions of a move not yet committed (keyboard nudges) */
  pending: Record<string, Position> | null;
  /** so far out that only the boxes are drawn (no titles) */
  tiny: boolean;
  readOnly: boolean;
  /** the grid a drag snaps to, if snapping is on */
  grid: readonly [number, number] | null;
  /** the canvas's root element: the presses on boxes are caught there before React Flow sees them */
  hostRef: RefObject<HTMLElement | null>;
}

type Point = { x: number; y: number };
type Gesture =
  | { kind: "press"; hit: string; toggle: boolean; pointer: Point }
  | { kind: "drag"; hit: string; start: DragStart; ids: string[]; pointer: Point; positions: Record<string, Position>; edges?: { scene: Scene; list: number[] } }
  | { kind: "box"; from: Point; to: Point; selected: string };

/** How far beside a box (screen pixels) a press still takes it: far out a box is a pixel or two high. */
const HIT_SLOP_PX = 2;
/** Zoom of a double-click on a box: close enough for React Flow's full nodes with their ports. */
const OPEN_ZOOM = 1;

/**
 * A big flow zoomed far out, drawn whole on one <canvas> without React Flow's nodes: React Flow
 * keeps them hidden (no wrapper element each: no layerization, hit testing, first render or
 * measuring of 5,000 wrappers), and this layer draws, hit-tests (a grid index), selects (click,
 * Ctrl+click, Shift+drag box), drags (a second small canvas redrawn per frame; the document gets
 * the positions once, on drop: one undo step) and opens (double-click zooms in, where React Flow
 * takes over for the nodes in view). Data attributes say what was painted, for the benchmark.
 */
function OverviewLayerImpl(props: Props) {
  const { nodes, edges, selectedNodes, selectedEdges, problems, diffs, pending, tiny, hostRef } = props;
  const store = useStoreApi();
  const { setCenter } = useReactFlow();
  const lineageNodes = useLineageStore((s) => s.nodes);
  const lineageHover = useLineageStore((s) => s.hover);
  const lineagePairs = useLineageStore((s) => s.pairs);
  // one subscription for the live marks of all boxes
  const marks = useStatsStore(useShallow((st) => lowMarks(st.nodes)));
  const scene = useMemo(
    () =>
      buildScene({
        nodes,
        edges,
        kindOf: (type) => getSpec(type)?.kind,
        titleOf: (n) => n.name || getSpec(n.type)?.title || n.type,
        selectedNodes,
        selectedEdges,
        invalidNodes: (id) => !!problems.nodes[id]?.length,
        invalidEdges: (id) => !!problems.edges[id]?.length,
        lineageNodes,
        lineageHover,
        lineagePairs,
        marks,
        diffs,
        pending,
      }),
    [nodes, edges, selectedNodes, selectedEdges, problems, lineageNodes, lineageHover, lineagePairs, marks, diffs, pending],
  );
  const index = useMemo(() => new NodeIndex(scene.nodes), [scene]);
  const staticRef = useRef<HTMLCanvasElement>(null);
  const movingRef = useRef<HTMLCanvasElement>(null);
  const boxRef = useRef<HTMLDivElement>(null);
  const gesture = useRef<Gesture | null>(null);
  const latest = useRef({ scene, index, props });
  latest.current = { scene, index, props };

  const painter = useMemo(() => {
    const view = (): ViewBox => {
      const s = store.getState();
      return { tx: s.transform[0], ty: s.transform[1], zoom: s.transform[2], width: s.width, height: s.height, dpr: window.devicePixelRatio || 1 };
    };
    const movingIndices = (sc: Scene, g: Gesture | null) => {
      const out = new Set<number>();
      if (g?.kind === "drag") for (const id of g.ids) if (sc.byId.has(id)) out.add(sc.byId.get(id)!);
      return out;
    };
    const paintStatic = () => {
      const c = staticRef.current;
      const ctx = c?.getContext("2d");
      if (!c || !ctx) return;
      const { scene: sc, props: p } = latest.current;
      const v = view();
      sizeCanvas(c, v);
      const moving = movingIndices(sc, gesture.current);
      const done = paintScene(ctx, sc, v, p.tiny, { skip: moving.size ? moving : null });
      // read by the benchmark and tests: what this paint put on the canvas
      c.dataset.drawnNodes = String(done.nodes + moving.size);
      c.dataset.insideNodes = String(done.inside);
      c.dataset.drawnEdges = String(done.edges);
      c.dataset.zoom = String(v.zoom);
    };
    const paintMoving = () => {
      const c = movingRef.current;
      const ctx = c?.getContext("2d");
      if (!c || !ctx) return;
      const { scene: sc, props: p } = latest.current;
      const g = gesture.current;
      const v = view();
      sizeCanvas(c, v);
      if (g?.kind !== "drag") {
        ctx.setTransform(1, 0, 0, 1, 0, 0);
        ctx.clearRect(0, 0, c.width, c.height);
        delete c.dataset.dragNode;
        delete c.dataset.dragAt;
        return;
      }
      const moving = movingIndices(sc, g);
      // the scene is rebuilt from the document, which gets the positions on drop
      for (const i of moving) {
        const n = sc.nodes[i]!;
        const at = g.positions[n.id];
        if (at) {
          n.x = at.x;
          n.y = at.y;
        }
      }
      // the dragged nodes' edges, found once per scene (not on every frame)
      if (g.edges?.scene !== sc) g.edges = { scene: sc, list: edgesTouching(sc, moving) };
      paintScene(ctx, sc, v, p.tiny, { nodes: [...moving], edges: g.edges.list });
      const hit = g.positions[g.hit];
      // the dragged node's drawn position, once painted: the benchmark counts the frames it changed in
      c.dataset.dragNode = g.hit;
      if (hit) c.dataset.dragAt = `${hit.x},${hit.y}`;
    };
    let frame = 0;
    const schedule = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        paintStatic();
        paintMoving();
      });
    };
    return { paintStatic, paintMoving, schedule, cancel: () => cancelAnimationFrame(frame) };
  }, [store]);

  // the flow, its marks or the level of detail changed: repaint before the browser paints
  useLayoutEffect(() => {
    painter.paintStatic();
    painter.paintMoving();
  }, [scene, tiny, painter]);

  // panned, zoomed or resized: repaint on the next frame
  useEffect(() => {
    let last = store.getState();
    const off = store.subscribe((s) => {
      if (s.transform !== last.transform || s.width !== last.width || s.height !== last.height) painter.schedule();
      last = s;
    });
    return () => {
      off();
      painter.cancel();
    };
  }, [store, painter]);

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    let claimed = false;
    let hovered: string | undefined;
    let frame = 0;
    const origin = () => store.getState().domNode?.getBoundingClientRect() ?? host.getBoundingClientRect();
    const toLocal = (e: { clientX: number; clientY: number }): Point => {
      const r = origin();
      return { x: e.clientX - r.left, y: e.clientY - r.top };
    };
    const toFlow = (local: Point): Point => {
      const [tx, ty, z] = store.getState().transform;
      return { x: (local.x - tx) / z, y: (local.y - ty) / z };
    };
    // presses on the empty canvas only: not on controls, panels or React Flow's own nodes (group boxes)
    const onCanvas = (target: EventTarget | null) =>
      target instanceof Element && !!target.closest(".react-flow__pane") && !target.closest(".react-flow__node, .react-flow__panel, button, input, textarea, select");
    const hitAt = (e: { clientX: number; clientY: number }) => {
      const p = toFlow(toLocal(e));
      return latest.current.index.near(p.x, p.y, HIT_SLOP_PX / store.getState().transform[2]);
    };

    const update = () => {
      frame = 0;
      const g = gesture.current;
      if (g?.kind === "drag") {
        g.positions = draggedPositions(g.start, g.pointer, latest.current.props.grid);
        painter.paintMoving();
      } else if (g?.kind === "box") {
        const el = boxRef.current;
        if (el) {
          const x = Math.min(g.from.x, g.to.x), y = Math.min(g.from.y, g.to.y);
          el.style.display = "block";
          el.style.transform = `translate(${x}px,${y}px)`;
          el.style.width = `${Math.abs(g.to.x - g.from.x)}px`;
          el.style.height = `${Math.abs(g.to.y - g.from.y)}px`;
        }
        const a = toFlow(g.from), b = toFlow(g.to);
        const ids = latest.current.index.inside(a.x, a.y, b.x, b.y).map((r) => r.id);
        const key = ids.join("\n");
        if (key !== g.selected) {
          g.selected = key;
          flowActions.select({ nodes: ids, edges: [] });
        }
      }
    };

    const onMove = (e: PointerEvent) => {
      const g = gesture.current;
      if (!g) return;
      if (g.kind === "press") {
        if (!pastThreshold(g.pointer, { x: e.clientX, y: e.clientY })) return;
        const { scene: sc } = latest.current;
        const selection = useFlowStore.getState().selection.nodes;
        const ids = dragTargets(g.hit, selection, (id) => sc.byId.has(id));
        // a drag of a node outside the selection selects it (as React Flow does)
        if (!selection.includes(g.hit)) {
          flowActions.select({ nodes: [g.hit], edges: [] });
          groupUi.select([]);
        }
        const from: Record<string, Position> = {};
        for (const id of ids) {
          const n = sc.nodes[sc.byId.get(id)!]!;
          from[id] = { x: n.x, y: n.y };
        }
        gesture.current = { kind: "drag", hit: g.hit, ids, pointer: { x: e.clientX, y: e.clientY }, start: { from, pointer: g.pointer, zoom: store.getState().transform[2] }, positions: from };
        // the dragged boxes leave the big canvas for the small one
        painter.paintStatic();
      } else if (g.kind === "drag") g.pointer = { x: e.clientX, y: e.clientY };
      else g.to = toLocal(e);
      // moves come 60–125 times a second: drawn once per frame, with the latest position
      if (!frame) frame = requestAnimationFrame(update);
    };

    const onUp = (e: PointerEvent) => {
      // a cancelled pointer (the browser took it over) changes nothing: no click, no move
      const cancelled = e.type === "pointercancel";
      const g = gesture.current;
      window.removeEventListener("pointermove", onMove, true);
      window.removeEventListener("pointerup", onUp, true);
      window.removeEventListener("pointercancel", onUp, true);
      cancelAnimationFrame(frame);
      frame = 0;
      if (!g) return;
      if (g.kind === "press") {
        const { toggle, hit } = g;
        gesture.current = null;
        if (cancelled) return;
        const sel = useFlowStore.getState().selection;
        flowActions.select(toggle ? { nodes: clickSelection(hit, sel.nodes, true) } : { nodes: [hit], edges: [] });
        if (!toggle) groupUi.select([]);
      } else if (g.kind === "drag") {
        const positions = cancelled ? g.start.from : draggedPositions(g.start, g.pointer, latest.current.props.grid);
        g.positions = positions;
        painter.paintMoving();
        gesture.current = null;
        if (cancelled || unmoved(g.start, positions)) {
          painter.paintStatic();
          painter.paintMoving();
        } else {
          // one undo step; the scene already shows the boxes there, the document follows
          painter.paintStatic();
          painter.paintMoving();
          groupActions.commitMove(positions);
        }
      } else {
        // the selection of the last moves, whose frame was cancelled above
        update();
        gesture.current = null;
        if (boxRef.current) boxRef.current.style.display = "none";
      }
    };

    const onDown = (e: PointerEvent) => {
      claimed = false;
      if (e.button !== 0 || !e.isPrimary || !onCanvas(e.target)) return;
      const { readOnly } = latest.current.props;
      if (readOnly) return;
      let g: Gesture;
      if (e.shiftKey) {
        const at = toLocal(e);
        g = { kind: "box", from: at, to: at, selected: "" };
        groupUi.select([]);
      } else {
        const hit = hitAt(e);
        if (!hit) return; // the empty canvas: React Flow pans
        g = { kind: "press", hit: hit.id, toggle: e.ctrlKey || e.metaKey, pointer: { x: e.clientX, y: e.clientY } };
      }
      // ours: React Flow must not pan, start its own selection box, or clear the selection on the click after
      claimed = true;
      e.stopPropagation();
      e.preventDefault();
      // what the prevented press would have done: a field being edited loses the focus (keys act on the canvas)
      if (document.activeElement instanceof HTMLElement && !host.contains(document.activeElement)) document.activeElement.blur();
      gesture.current = g;
      window.addEventListener("pointermove", onMove, true);
      window.addEventListener("pointerup", onUp, true);
      window.addEventListener("pointercancel", onUp, true);
    };
    const swallow = (e: Event) => {
      if (!claimed) return;
      e.stopPropagation();
      e.preventDefault();
    };
    const onClick = (e: MouseEvent) => {
      swallow(e);
      claimed = false;
    };
    const onDoubleClick = (e: MouseEvent) => {
      if (!onCanvas(e.target)) return;
      const hit = hitAt(e);
      if (!hit) return;
      e.stopPropagation();
      e.preventDefault();
      void setCenter(hit.x + hit.w / 2, hit.y + hit.h / 2, { zoom: OPEN_ZOOM });
    };
    // what a box under the pointer says (its problems or title), and a hand to show it can be grabbed
    const onHover = (e: PointerEvent) => {
      if (gesture.current || e.buttons) return;
      const hit = onCanvas(e.target) ? hitAt(e) : undefined;
      if (hit?.id === hovered) return;
      hovered = hit?.id;
      const pane = store.getState().domNode?.querySelector<HTMLElement>(".react-flow__pane");
      if (pane) pane.style.cursor = hit ? "pointer" : "";
      const p = latest.current.props;
      const n = hit && latest.current.scene.nodes[latest.current.scene.byId.get(hit.id)!];
      if (n) host.title = p.problems.nodes[n.id]?.join("\n") || `${n.title} · ${n.id}`;
      else host.removeAttribute("title");
    };
    host.addEventListener("pointerdown", onDown, true);
    host.addEventListener("mousedown", swallow, true);
    host.addEventListener("mouseup", swallow, true);
    host.addEventListener("click", onClick, true);
    host.addEventListener("dblclick", onDoubleClick, true);
    host.addEventListener("pointermove", onHover, { passive: true });
    return () => {
      host.removeEventListener("pointerdown", onDown, true);
      host.removeEventListener("mousedown", swallow, true);
      host.removeEventListener("mouseup", swallow, true);
      host.removeEventListener("click", onClick, true);
      host.removeEventListener("dblclick", onDoubleClick, true);
      host.removeEventListener("pointermove", onHover);
      window.removeEventListener("pointermove", onMove, true);
      window.removeEventListener("pointerup", onUp, true);
      window.removeEventListener("pointercancel", onUp, true);
      cancelAnimationFrame(frame);
      host.removeAttribute("title");
      const pane = store.getState().domNode?.querySelector<HTMLElement>(".react-flow__pane");
      if (pane) pane.style.cursor = "";
      gesture.current = null;
    };
  }, [hostRef, store, painter, setCenter]);

  return (
    <div className="mr-overview" style={LAYER_STYLE} aria-hidden="true">
      <canvas ref={staticRef} data-testid="overview" style={CANVAS_STYLE} />
      <canvas ref={movingRef} data-testid="overview-moving" style={CANVAS_STYLE} />
      <div ref={boxRef} data-testid="overview-selection" style={BOX_STYLE} />
    </div>
  );
}

// under React Flow's renderer (z-index 4: its transparent pane takes the pointer, its group boxes sit above)
const LAYER_STYLE = { position: "absolute", inset: 0, zIndex: 3, pointerEvents: "none", overflow: "hidden" } as const;
const CANVAS_STYLE = { position: "absolute", left: 0, top: 0 } as const;
const BOX_STYLE = { position: "absolute", left: 0, top: 0, display: "none", border: "1px dashed #2563eb", background: "rgba(37, 99, 235, 0.08)" } as const;

export const OverviewLayer = memo(OverviewLayerImpl);
