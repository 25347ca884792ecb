import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import {
  Background,
  BackgroundVariant,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  useNodesInitialized,
  useReactFlow,
  useStore,
  useStoreApi,
  type Connection,
  type ReactFlowState,
  type EdgeChange,
  type IsValidConnection,
  type NodeChange,
  type OnConnectEnd,
} from "@xyflow/react";
import type { EdgeDiff, FlowEdge, FlowNode, NodeDiff, Position } from "@millrace/flow";
import { catalog, getSpec, useProblems } from "../catalog/specs";
import { flowActions, useFlowStore } from "../store/flowStore";
import { ui, useUiStore } from "../store/uiStore";
import { useComparison } from "../store/compareStore";
import { safeOutputPorts, type CanvasProblems } from "../doc/validate";
import { canConnect } from "../doc/ops";
import { ProcessorNode, type ProcessorNodeData, type ProcessorRFNode } from "./ProcessorNode";
import { PortEdge, type PortRFEdge } from "./PortEdge";
import { CanvasToolbar } from "./CanvasToolbar";
import { CanvasDetailContext, LOW_DETAIL_ZOOM } from "./canvasDetail";
import { LowDetailEdges } from "./LowDetailEdges";
import { useEdgeRuntimes, type EdgeRuntime } from "../edgeRuntime";
import { LowDetailNodes } from "./LowDetailNodes";
import { estimateFit, FIT_LIMITS } from "./lowDetail";
import { LowDrag } from "./lowDrag";
import { OverviewLayer } from "./overview/OverviewLayer";
import { estimatedUntilMeasured, hiddenForOverview } from "./overview/overviewNodes";
import { groupIdOf } from "../groups/groupView";
import { groupUi, useGroupStore } from "../groups/groupStore";
import { groupActions } from "../groups/groupActions";
import { GroupBoxNode, GroupFrameNode } from "../groups/GroupNode";
import { GroupBreadcrumbs, GroupInspector } from "../groups/GroupControls";
import { TEMPLATE_DND_TYPE, templateUi } from "../templates/templateStore";
import { useGroupLayer } from "../groups/useGroupLayer";

const nodeTypes = { processor: ProcessorNode, groupBox: GroupBoxNode, groupFrame: GroupFrameNode };
const edgeTypes = { port: PortEdge };
export const DND_TYPE = "application/x-millrace-processor";
const GRID: [number, number] = [20, 20];
// Props React Flow copies into its store: a new object per render would be a store update that
// re-renders every edge (EdgeWrapper reads defaultEdgeOptions) on every frame of a drag.
const MULTI_SELECT_KEYS = ["Meta", "Control"];
const PRO_OPTIONS = { hideAttribution: true };
const DEFAULT_EDGE_OPTIONS = { type: "port" };
const clearSelection = () => {
  flowActions.select({ nodes: [], edges: [] });
  groupUi.select([]);
};

/**
 * Above this many nodes, only the elements in view are rendered while zoomed in, and zoomed far
 * out the whole flow is drawn by the overview layer instead of React Flow's nodes.
 */
const VIRTUALIZE_ABOVE = 300;

const labelRootSelector = (s: ReactFlowState) => s.domNode?.querySelector(".react-flow__edgelabel-renderer") ?? null;
const lowDetailSelector = (s: ReactFlowState) => s.transform[2] < LOW_DETAIL_ZOOM;
/** So far out that even a title is a smear of pixels: boxes only (a CSS class, no re-render). */
const TINY_ZOOM = 0.2;
const tinySelector = (s: ReactFlowState) => s.transform[2] < TINY_ZOOM;

const portsCache = new WeakMap<object, { spec: unknown; ports: string[] }>();
/** Output ports of a node, computed once per (immutable) config object. */
function portsOf(spec: ReturnType<typeof getSpec>, config: Record<string, unknown>): string[] {
  const c = portsCache.get(config);
  if (c && c.spec === spec) return c.ports;
  const ports = safeOutputPorts(spec, config);
  portsCache.set(config, { spec, ports });
  return ports;
}

interface NodeEntry {
  n: FlowNode;
  problemsKey: string | undefined;
  data: ProcessorNodeData;
  value: ProcessorRFNode;
}

/**
 * React Flow node objects with stable identity: an unchanged node keeps its object (React Flow
 * skips it), and its `data` survives moves and selection (its component does not re-render).
 * Measured sizes are read when an object is rebuilt, not subscribed to: React Flow keeps them
 * itself for objects it already has.
 */
function useRfNodes(
  nodes: FlowNode[],
  selected: Set<string>,
  drag: Record<string, Position> | null,
  /** positions of an ongoing drag that React Flow draws itself (see onNodesChange) */
  liveDrag: { current: Record<string, Position> | null },
  problems: CanvasProblems,
  /** sizes to copy into the objects: only while the minimap shows (it reads sizes from them) */
  measuredIn: Record<string, { width: number; height: number }> | null,
  /** in compare mode: what differs about each node */
  diffs: ReadonlyMap<string, NodeDiff> | null,
) {
  const cache = useRef(new Map<string, NodeEntry>());
  return useMemo(() => {
    const measured = measuredIn ?? useFlowStore.getState().measured;
    const next = new Map<string, NodeEntry>();
    const out = nodes.map((n) => {
      const prev = cache.current.get(n.id);
      const nodeProblems = problems.nodes[n.id];
      const problemsKey = nodeProblems?.join("\n");
      const diff = diffs?.get(n.id);
      let data = prev?.data;
      if (!prev || prev.problemsKey !== problemsKey || prev.n.type !== n.type || prev.n.name !== n.name || prev.n.config !== n.config || prev.data.diff !== diff) {
        const spec = getSpec(n.type);
        const ports = portsOf(spec, n.config);
        data =
          prev && prev.data.spec === spec && prev.data.title === (n.name || spec?.title || n.type) && prev.data.ports.join("|") === ports.join("|") && prev.problemsKey === problemsKey && prev.data.diff === diff
            ? prev.data
            : { type: n.type, title: n.name || spec?.title || n.type, spec, ports, hasInput: spec?.hasInput ?? true, problems: nodeProblems, ...(diff ? { diff } : {}) };
      }
      const pos = liveDrag.current?.[n.id] ?? drag?.[n.id] ?? n.position;
      const sel = selected.has(n.id);
      let value = prev?.value;
      const m = measured[n.id];
      if (!value || value.data !== data || value.selected !== sel || value.position.x !== pos.x || value.position.y !== pos.y || (measuredIn && m && value.measured !== m)) {
        value = { id: n.id, type: "processor", position: pos, selected: sel, data: data!, ...(m ? { measured: m } : {}) };
      }
      const entry = { n, problemsKey, data: data!, value };
      next.set(n.id, entry);
      return value;
    });
    cache.current = next;
    return out;
  }, [nodes, selected, drag, problems, measuredIn, diffs]);
}

/** React Flow edge objects with stable identity (same idea as useRfNodes). */
function useRfEdges(edges: FlowEdge[], selected: Set<string>, problems: CanvasProblems, runtimes: Map<string, EdgeRuntime>, diffs: ReadonlyMap<string, EdgeDiff> | null) {
  const cache = useRef(new Map<string, { e: FlowEdge; sel: boolean; problemsKey: string | undefined; runtimeKey: string; diff: EdgeDiff | undefined; value: PortRFEdge }>());
  return useMemo(() => {
    const next = new Map<string, { e: FlowEdge; sel: boolean; problemsKey: string | undefined; runtimeKey: string; diff: EdgeDiff | undefined; value: PortRFEdge }>();
    const out = edges.map((e) => {
      const sel = selected.has(e.id);
      const p = problems.edges[e.id];
      const problemsKey = p?.join("\n");
      const runtime = runtimes.get(e.id);
      // the map is rebuilt on every edit and status poll: compare what it says, not its objects
      const runtimeKey = runtime ? `${runtime.mode}|${runtime.guarantee}|${runtime.from}` : "";
      const diff = diffs?.get(e.id);
      const prev = cache.current.get(e.id);
      const entry =
        prev && prev.e === e && prev.sel === sel && prev.problemsKey === problemsKey && prev.runtimeKey === runtimeKey && prev.diff === diff
          ? prev
          : { e, sel, problemsKey, runtimeKey, diff, value: toRfEdge(e, sel, p, runtime, diff) };
      next.set(e.id, entry);
      return entry.value;
    });
    cache.current = next;
    return out;
  }, [edges, selected, problems, runtimes, diffs]);
}

function toRfEdge(e: FlowEdge, selected: boolean, problems?: string[], runtime?: EdgeRuntime, diff?: EdgeDiff): PortRFEdge {
  const failure = e.from.port === "failure";
  return {
    id: e.id,
    type: "port",
    source: e.from.node,
    sourceHandle: e.from.port,
    target: e.to.node,
    targetHandle: "in",
    selected,
    data: { port: e.from.port, mode: runtime?.mode ?? (e.settings?.mode === "fused" ? "fused" : "durable"), guarantee: runtime?.guarantee, deployed: runtime?.from === "deployed", problems, ...(diff ? { diff } : {}) },
    markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16, color: problems?.length ? "#dc2626" : failure ? "#e11d48" : "#64748b" },
  };
}

const NO_SELECTION = new Set<string>();
const NO_PROBLEMS: CanvasProblems = { nodes: {}, edges: {}, flow: [], count: 0 };
const NO_EDGES: PortRFEdge[] = [];

export function Canvas() {
  const editorDoc = useFlowStore((s) => s.doc);
  const preview = useUiStore((s) => s.preview);
  // an earlier version shown read-only: drawn instead of the editor's document, which stays untouched
  const readOnly = preview !== null;
  const doc = preview?.doc ?? editorDoc;
  // a comparison is a preview of the newer document (removed elements added back) with marks
  const comparison = useComparison();
  const selection = useFlowStore((s) => s.selection);
  const drag = useFlowStore((s) => (readOnly ? null : s.drag));
  const snap = useUiStore((s) => s.snapToGrid);
  const { screenToFlowPosition, fitView } = useReactFlow();
  const fitZoom = useFitOnLoad();
  // entering or leaving a version preview: show the whole of what is now drawn
  const previewKey = preview ? `v${preview.version}` : "";
  const firstPreview = useRef(previewKey);
  useEffect(() => {
    if (firstPreview.current === previewKey) return;
    firstPreview.current = previewKey;
    const t = setTimeout(() => void fitView(FIT), 60);
    return () => clearTimeout(t);
  }, [previewKey, fitView]);

  const docProblems = useProblems(doc);
  // a comparison shows what changed; a ghost of a removed node would only add "not connected" noise
  const problems = comparison ? NO_PROBLEMS : docProblems;
  const selectedNodes = useMemo(() => (readOnly ? NO_SELECTION : new Set(selection.nodes)), [selection.nodes, readOnly]);
  const selectedEdges = useMemo(() => (readOnly ? NO_SELECTION : new Set(selection.edges)), [selection.edges, readOnly]);
  // a flow that has just loaded is drawn at once at the level of detail of the fit it is about to get
  const lowNow = useStore(lowDetailSelector);
  const tinyNow = useStore(tinySelector);
  const low = fitZoom !== null ? fitZoom < LOW_DETAIL_ZOOM : lowNow;
  const tiny = fitZoom !== null ? fitZoom < TINY_ZOOM : tinyNow;
  const labelRoot = useStore(labelRootSelector);
  const detail = useMemo(() => ({ low, labelRoot }), [low, labelRoot]);
  const virtualize = doc.nodes.length > VIRTUALIZE_ABOVE;
  // a big flow far out: React Flow keeps its nodes hidden (no element each), the overview draws them
  const overview = low && virtualize;
  // (an empty flow would show an empty white box)
  const minimapOn = useUiStore((s) => s.minimap);
  const showMinimap = minimapOn && !low && !virtualize && doc.nodes.length > 0;
  const measured = useFlowStore((s) => (showMinimap ? s.measured : null));
  const liveDrag = useRef<Record<string, Position> | null>(null);
  // the nodes being dragged while zoomed far out: the low-detail layers draw them (and their
  // edges) apart, so only a small layer is redrawn on each frame of the drag
  const [draggedIds, setDraggedIds] = useState<ReadonlySet<string>>(NO_SELECTION);
  const lowRef = useRef(low);
  lowRef.current = low;
  const lowDrag = useMemo(() => new LowDrag(), []);
  // process groups: what this level shows (the doc's own arrays when the flow has no groups)
  const groups = useGroupLayer(doc, readOnly);
  const processorNodes = useRfNodes(groups.view.nodes, selectedNodes, drag, liveDrag, problems, measured, comparison?.nodes ?? null);
  const hiddenCache = useRef(new WeakMap<ProcessorRFNode, ProcessorRFNode>());
  const estimatedCache = useRef(new WeakMap<ProcessorRFNode, ProcessorRFNode>());
  const shownNodes = useMemo(
    () => (overview ? hiddenForOverview(processorNodes, hiddenCache.current) : virtualize ? estimatedUntilMeasured(processorNodes, estimatedCache.current) : processorNodes),
    [overview, virtualize, processorNodes],
  );
  const nodes = groups.withGroupNodes(shownNodes);
  // zoomed far out the edges are one layer of our own (LowDetailEdges), not React Flow's
  const saved = useFlowStore((s) => s.baseVersion !== undefined);
  // an earlier version shown read-only is drawn as its document asks, not as the deployment runs
  const runtimes = useEdgeRuntimes(doc, saved && !readOnly);
  const plainEdges = useRfEdges(groups.view.edges, selectedEdges, problems, runtimes, comparison?.edges ?? null);
  const rfEdges = useMemo(
    () =>
      groups.view.boxEdges.length === 0
        ? plainEdges
        : [...plainEdges, ...groups.view.boxEdges.map((b) => ({ ...toRfEdge(b.edge, selectedEdges.has(b.edge.id), problems.edges[b.edge.id], runtimes.get(b.edge.id)), source: b.source, sourceHandle: b.sourceHandle, target: b.target, targetHandle: b.targetHandle }))],
    [plainEdges, groups.view.boxEdges, selectedEdges, problems, runtimes],
  );
  const edges = low ? NO_EDGES : rfEdges;
  // one screen pixel in flow units, as a CSS variable: far-out edges stay visible hairlines
  // (SVG's non-scaling-stroke ignores the viewport's CSS transform). Set on the element, no render.
  const canvasRef = useRef<HTMLDivElement>(null);
  const rfStore = useStoreApi();
  useEffect(() => {
    let last = 0;
    const apply = (z: number) => {
      if (z === last || !canvasRef.current) return;
      last = z;
      canvasRef.current.style.setProperty("--mr-px", String(1 / z));
    };
    apply(rfStore.getState().transform[2]);
    return rfStore.subscribe((st) => apply(st.transform[2]));
  }, [rfStore]);

  const dragFrame = useRef(0);
  const flushDrag = useCallback(() => {
    dragFrame.current = 0;
    const live = liveDrag.current;
    if (!live) return;
    const st = rfStore.getState();
    // zoomed far out the low-detail layers draw the drag, React Flow's store waits for the drop
    if (lowRef.current && lowDrag.move(live, st.nodeLookup, st.domNode)) return;
    let changed = false;
    const next = st.nodes.map((n) => {
      const p = live[n.id];
      if (!p || (p.x === n.position.x && p.y === n.position.y)) return n;
      changed = true;
      return { ...n, position: p };
    });
    if (changed) st.setNodes(next);
  }, [rfStore, lowDrag]);

  const onNodesChange = useCallback((changes: NodeChange<ProcessorRFNode>[]) => {
    const sel = new Set(useFlowStore.getState().selection.nodes);
    let selChanged = false;
    const moving: Record<string, Position> = {};
    let sizes: Record<string, { width: number; height: number }> | undefined;
    let groupSel: Set<string> | undefined;
    for (const c of changes) {
      if (c.type === "position" && c.position && c.dragging) moving[c.id] = c.position;
      else if (c.type === "dimensions" && c.dimensions) (sizes ??= {})[c.id] = c.dimensions;
      else if (c.type === "select") {
        if (groupIdOf(c.id) !== undefined) {
          (groupSel ??= new Set(useGroupStore.getState().selected))[c.selected ? "add" : "delete"](groupIdOf(c.id)!);
          continue;
        }
        selChanged = true;
        if (c.selected) sel.add(c.id);
        else sel.delete(c.id);
      }
      // "remove" is handled by our own Delete key handler (one undo step for nodes + edges)
    }
    if (sizes) flowActions.setMeasuredMany(sizes);
    if (Object.keys(moving).length) {
      // A drag is React Flow's own until it ends: the moved nodes go straight into its store (no
      // document-store update, no canvas render, no new nodes array from us per mouse move) and
      // are committed to the document once, on drag stop, as one undo step.
      if (lowRef.current && Object.keys(moving).some((id) => !liveDrag.current?.[id])) setDraggedIds(new Set([...Object.keys(liveDrag.current ?? {}), ...Object.keys(moving)]));
      liveDrag.current = { ...liveDrag.current, ...moving };
      // A mouse reports 60–125 moves a second, often two per frame: React Flow's store (and
      // every subscriber of it) is updated once per frame, just before it is drawn, with the
      // latest positions.
      if (!dragFrame.current) dragFrame.current = requestAnimationFrame(flushDrag);
    }
    if (selChanged) flowActions.select({ nodes: [...sel] });
    if (groupSel) groupUi.select([...groupSel]);
  }, [flushDrag]);

  const onDragStop = useCallback(() => {
    const moved = liveDrag.current;
    if (!moved) return;
    cancelAnimationFrame(dragFrame.current);
    dragFrame.current = 0;
    groupActions.commitMove(moved);
    liveDrag.current = null;
    lowDrag.end();
    setDraggedIds(NO_SELECTION);
  }, [lowDrag]);

  const onEdgesChange = useCallback((changes: EdgeChange<PortRFEdge>[]) => {
    const sel = new Set(useFlowStore.getState().selection.edges);
    let changed = false;
    for (const c of changes) {
      if (c.type === "select") {
        changed = true;
        if (c.selected) sel.add(c.id);
        else sel.delete(c.id);
      }
    }
    if (changed) flowActions.select({ edges: [...sel] });
  }, []);

  const onConnect = useCallback((c: Connection) => {
    if (!c.source || !c.target || !c.sourceHandle) return;
    flowActions.connect({ node: c.source, port: c.sourceHandle }, { node: c.target });
  }, []);

  // while a connection is drawn, edge labels let the pointer through to the nodes under them
  const [connecting, setConnecting] = useState(false);
  const onConnectStart = useCallback(() => setConnecting(true), []);
  // Dropped on a node but not on (or near) its input dot: connect to that node anyway, as people
  // expect of a box they let go over. An invalid pairing is refused with its reason (a toast).
  const onConnectEnd: OnConnectEnd = useCallback((event, state) => {
    setConnecting(false);
    if (state.isValid === true || !state.fromNode || !state.fromHandle?.id || state.fromHandle.type !== "source") return;
    const at = "changedTouches" in event ? event.changedTouches[0] : event;
    if (!at) return;
    const target = document.elementFromPoint(at.clientX, at.clientY)?.closest<HTMLElement>(".react-flow__node")?.dataset.id;
    if (!target || target === state.fromNode.id || groupIdOf(target) !== undefined) return;
    flowActions.connect({ node: state.fromNode.id, port: state.fromHandle.id }, { node: target });
  }, []);

  const isValidConnection: IsValidConnection = useCallback((c) => {
    if (!c.source || !c.target || !c.sourceHandle) return false;
    return canConnect(useFlowStore.getState().doc, { node: c.source, port: c.sourceHandle }, { node: c.target }, catalog).ok;
  }, []);

  const onDragOver = useCallback((ev: React.DragEvent) => {
    if (ev.dataTransfer.types.includes(DND_TYPE) || ev.dataTransfer.types.includes(TEMPLATE_DND_TYPE)) {
      ev.preventDefault();
      ev.dataTransfer.dropEffect = "copy";
    }
  }, []);

  const onDrop = useCallback(
    (ev: React.DragEvent) => {
      if (useUiStore.getState().preview) {
        ev.preventDefault();
        ui.toast("You are viewing an earlier version, read-only: go back to editing to add processors.", "info");
        return;
      }
      const templateId = ev.dataTransfer.getData(TEMPLATE_DND_TYPE);
      const type = ev.dataTransfer.getData(DND_TYPE);
      const spec = type ? getSpec(type) : undefined;
      if (!spec && !templateId) return;
      ev.preventDefault();
      const p = screenToFlowPosition({ x: ev.clientX, y: ev.clientY });
      if (templateId) {
        // the template's top-left node lands under the pointer, once its parameters are given
        templateUi.askPlace(templateId, { x: p.x - 100, y: p.y - 24 });
        return;
      }
      if (!spec) return;
      // drop point = middle of the node's header
      const at = { x: p.x - 100, y: p.y - 24 };
      const pos = snap ? { x: Math.round(at.x / GRID[0]) * GRID[0], y: Math.round(at.y / GRID[1]) * GRID[1] } : at;
      // empty: the schema's defaults apply and the form shows the example as placeholders; an
      // example saved as settings would run values nobody typed
      groupActions.addNode(spec.type, spec.version ?? 1, pos);
    },
    [screenToFlowPosition, snap],
  );

  return (
    <div ref={canvasRef} className={`mr-canvas${low ? " low-detail" : ""}${tiny ? " tiny" : ""}${readOnly ? " read-only" : ""}${connecting ? " connecting" : ""}`} data-testid="canvas" data-detail={low ? "low" : "full"} data-read-only={readOnly ? "true" : undefined} onDragOver={onDragOver} onDrop={onDrop}>
      <CanvasDetailContext.Provider value={detail}>
      <ReactFlow<ProcessorRFNode, PortRFEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectStart={onConnectStart}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onNodeDragStop={onDragStop}
        onSelectionDragStop={onDragStop}
        onPaneClick={clearSelection}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={MULTI_SELECT_KEYS}
        snapToGrid={snap}
        snapGrid={GRID}
        minZoom={MIN_ZOOM}
        onlyRenderVisibleElements={virtualize}
        maxZoom={2}
        proOptions={PRO_OPTIONS}
        defaultEdgeOptions={DEFAULT_EDGE_OPTIONS}
        connectionRadius={40}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        elementsSelectable={!readOnly}
      >
        {!low && <Background variant={BackgroundVariant.Dots} gap={GRID[0]} size={1.2} color="#cbd5e1" />}
        {/* zoomed far out the canvas is its own overview; for a big flow a minimap would redraw every node on every frame (and only knows the nodes in view) */}
        {showMinimap && <MiniMap pannable zoomable nodeStrokeWidth={3} nodeColor={minimapColor} style={{ width: 150, height: 100 }} data-testid="minimap" />}
        <Controls showInteractive={false} fitViewOptions={FIT_CONTROLS} data-testid="zoom-controls" />
        <CanvasToolbar problems={problems.count} readOnly={readOnly} />
        <GroupBreadcrumbs path={groups.view.path} />
        <GroupInspector readOnly={readOnly} />
        {low && !overview && labelRoot && <LowDetailEdges edges={groups.view.edges} runtimes={runtimes} selected={selectedEdges} problems={problems} root={labelRoot} moving={draggedIds} drag={lowDrag} />}
        {low && !overview && labelRoot && <LowDetailNodes nodes={groups.view.nodes} selected={selectedNodes} problems={problems} root={labelRoot} moving={draggedIds} tiny={tiny} drag={lowDrag} />}
        {overview && <OverviewLayer nodes={groups.view.nodes} edges={groups.view.edges} selectedNodes={selectedNodes} selectedEdges={selectedEdges} problems={problems} diffs={comparison?.nodes ?? null} pending={drag} tiny={tiny} readOnly={readOnly} grid={snap ? GRID : null} hostRef={canvasRef} />}
      </ReactFlow>
      </CanvasDetailContext.Provider>
      {doc.nodes.length === 0 && !readOnly && (
        <div className="mr-canvas-empty" data-testid="canvas-empty">
          <div>
            <strong>Drag a processor from the palette</strong> to start.
            <br />
            Connect an output port (right) to an input (left). Press <kbd>?</kbd> for shortcuts.
          </div>
        </div>
      )}
    </div>
  );
}

const MIN_ZOOM = FIT_LIMITS.minZoom;
// the overview's nodes are hidden in React Flow (they have a size, so a fit still counts them)
const FIT = { padding: FIT_LIMITS.padding, maxZoom: FIT_LIMITS.maxZoom, includeHiddenNodes: true } as const;
const FIT_CONTROLS = { includeHiddenNodes: true } as const;

/**
 * Fits the view once per loaded flow (never while editing): first, before the nodes are drawn,
 * from their positions and estimated sizes, so a big flow is drawn once, at the zoom (and level
 * of detail) it will be seen at; then exactly, once React Flow has measured every node.
 * Returns the zoom of a fit that is about to be applied (the render before it already draws at
 * that zoom's level of detail), else null.
 */
function useFitOnLoad(): number | null {
  const loadSeq = useFlowStore((s) => s.loadSeq);
  const initialized = useNodesInitialized();
  const { fitView, setViewport } = useReactFlow();
  const store = useStoreApi();
  const estimated = useRef(-1);
  const fitted = useRef(-1);
  const pending = useMemo(() => {
    if (estimated.current === loadSeq) return null;
    const { doc, measured } = useFlowStore.getState();
    const { width, height } = store.getState();
    return estimateFit(doc, measured, width, height);
  }, [loadSeq, store]);
  useLayoutEffect(() => {
    if (estimated.current === loadSeq) return;
    estimated.current = loadSeq;
    if (pending) void setViewport(pending);
  }, [loadSeq, pending, setViewport]);
  useEffect(() => {
    if (fitted.current === loadSeq) return;
    const empty = useFlowStore.getState().doc.nodes.length === 0;
    if (empty) {
      fitted.current = loadSeq;
      return;
    }
    if (!initialized) return;
    fitted.current = loadSeq;
    requestAnimationFrame(() => void fitView(FIT));
  }, [loadSeq, initialized, fitView]);
  return estimated.current === loadSeq ? null : (pending?.zoom ?? null);
}

function minimapColor(n: ProcessorRFNode): string {
  const k = n.data?.spec?.kind;
  return k === "source" ? "#0ea5e9" : k === "sink" ? "#8b5cf6" : k === "transform" ? "#10b981" : "#94a3b8";
}
