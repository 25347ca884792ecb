import { useCallback, useEffect, useMemo, useRef } from "react";
import {
  Background,
  BackgroundVariant,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  useNodesInitialized,
  useReactFlow,
  type Connection,
  type EdgeChange,
  type IsValidConnection,
  type NodeChange,
} from "@xyflow/react";
import type { FlowEdge, FlowNode, Position } from "@millrace/flow";
import { catalog, getSpec, problemsOf } from "../catalog/specs";
import { flowActions, useFlowStore } from "../store/flowStore";
import { useUiStore } from "../store/uiStore";
import { safeOutputPorts, type CanvasProblems } from "../doc/validate";
import { canConnect } from "../doc/ops";
import { ProcessorNode, type ProcessorRFNode } from "./ProcessorNode";
import { PortEdge, type PortRFEdge } from "./PortEdge";
import { CanvasToolbar } from "./CanvasToolbar";

const nodeTypes = { processor: ProcessorNode };
const edgeTypes = { port: PortEdge };
export const DND_TYPE = "application/x-millrace-processor";
const GRID: [number, number] = [20, 20];

/** Caches React Flow node objects so unchanged nodes keep their identity (no re-render). */
function useRfNodes(nodes: FlowNode[], selected: Set<string>, drag: Record<string, Position> | null, measured: Record<string, { width: number; height: number }>, problems: CanvasProblems) {
  const cache = useRef(new Map<string, { key: unknown[]; value: ProcessorRFNode }>());
  return useMemo(() => {
    const next = new Map<string, { key: unknown[]; value: ProcessorRFNode }>();
    const out = nodes.map((n) => {
      const spec = getSpec(n.type);
      const ports = safeOutputPorts(spec, n.config);
      const pos = drag?.[n.id] ?? n.position;
      const m = measured[n.id];
      const nodeProblems = problems.nodes[n.id];
      const key = [n, spec, ports.join("|"), selected.has(n.id), pos.x, pos.y, m?.width, m?.height, nodeProblems?.join("\n")];
      const prev = cache.current.get(n.id);
      if (prev && prev.key.length === key.length && prev.key.every((k, i) => k === key[i])) {
        next.set(n.id, prev);
        return prev.value;
      }
      const value: ProcessorRFNode = {
        id: n.id,
        type: "processor",
        position: pos,
        selected: selected.has(n.id),
        data: { node: n, spec, ports, hasInput: spec?.hasInput ?? true, problems: nodeProblems },
        ...(m ? { measured: m } : {}),
      };
      next.set(n.id, { key, value });
      return value;
    });
    cache.current = next;
    return out;
  }, [nodes, selected, drag, measured, problems]);
}

function toRfEdge(e: FlowEdge, selected: boolean, problems?: string[]): PortRFEdge {
  const failure = e.from.port === "failure";
  return {
    id: e.id,
    type: "port",
    source: e.from.node,
    sourceHandle: e.from.port,
    target: e.to.node,
    targetHandle: "in",
    selected,
    data: { port: e.from.port, mode: e.settings?.mode === "fused" ? "fused" : "durable", problems },
    markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16, color: problems?.length ? "#dc2626" : failure ? "#e11d48" : "#64748b" },
  };
}

export function Canvas() {
  const doc = useFlowStore((s) => s.doc);
  const selection = useFlowStore((s) => s.selection);
  const drag = useFlowStore((s) => s.drag);
  const measured = useFlowStore((s) => s.measured);
  const snap = useUiStore((s) => s.snapToGrid);
  const { screenToFlowPosition, fitView } = useReactFlow();
  useFitOnLoad(fitView);

  const problems = problemsOf(doc);
  const selectedNodes = useMemo(() => new Set(selection.nodes), [selection.nodes]);
  const selectedEdges = useMemo(() => new Set(selection.edges), [selection.edges]);
  const nodes = useRfNodes(doc.nodes, selectedNodes, drag, measured, problems);
  const edges = useMemo(
    () => doc.edges.map((e) => toRfEdge(e, selectedEdges.has(e.id), problems.edges[e.id])),
    [doc.edges, selectedEdges, problems],
  );

  const onNodesChange = useCallback((changes: NodeChange<ProcessorRFNode>[]) => {
    const sel = new Set(useFlowStore.getState().selection.nodes);
    let selChanged = false;
    const moving: Record<string, Position> = {};
    for (const c of changes) {
      if (c.type === "position" && c.position && c.dragging) moving[c.id] = c.position;
      else if (c.type === "dimensions" && c.dimensions) flowActions.setMeasured(c.id, c.dimensions);
      else if (c.type === "select") {
        selChanged = true;
        if (c.selected) sel.add(c.id);
        else sel.delete(c.id);
      }
      // "remove" is handled by our own Delete key handler (one undo step for nodes + edges)
    }
    if (Object.keys(moving).length) flowActions.dragTo(moving);
    if (selChanged) flowActions.select({ nodes: [...sel] });
  }, []);

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

  const isValidConnection: IsValidConnection = useCallback((c) => {
    if (!c.source || !c.target || !c.sourceHandle) return false;
    return canConnect(useFlowStore.getState().doc, { node: c.source, port: c.sourceHandle }, { node: c.target }, catalog).ok;
  }, []);

  const onDragOver = useCallback((ev: React.DragEvent) => {
    if (ev.dataTransfer.types.includes(DND_TYPE)) {
      ev.preventDefault();
      ev.dataTransfer.dropEffect = "copy";
    }
  }, []);

  const onDrop = useCallback(
    (ev: React.DragEvent) => {
      const type = ev.dataTransfer.getData(DND_TYPE);
      const spec = type ? getSpec(type) : undefined;
      if (!spec) return;
      ev.preventDefault();
      const p = screenToFlowPosition({ x: ev.clientX, y: ev.clientY });
      // drop point = middle of the node's header
      const at = { x: p.x - 100, y: p.y - 24 };
      const pos = snap ? { x: Math.round(at.x / GRID[0]) * GRID[0], y: Math.round(at.y / GRID[1]) * GRID[1] } : at;
      flowActions.addNode(spec.type, spec.version ?? 1, (spec.example ?? {}) as Record<string, unknown>, pos);
    },
    [screenToFlowPosition, snap],
  );

  return (
    <div className="mr-canvas" data-testid="canvas" onDragOver={onDragOver} onDrop={onDrop}>
      <ReactFlow<ProcessorRFNode, PortRFEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        isValidConnection={isValidConnection}
        onNodeDragStop={flowActions.endDrag}
        onSelectionDragStop={flowActions.endDrag}
        onPaneClick={() => flowActions.select({ nodes: [], edges: [] })}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={["Meta", "Control"]}
        snapToGrid={snap}
        snapGrid={GRID}
        minZoom={0.2}
        maxZoom={2}
        proOptions={{ hideAttribution: true }}
        defaultEdgeOptions={{ type: "port" }}
        connectionRadius={24}
      >
        <Background variant={BackgroundVariant.Dots} gap={GRID[0]} size={1.2} color="#cbd5e1" />
        <MiniMap pannable zoomable nodeStrokeWidth={3} nodeColor={minimapColor} style={{ width: 168, height: 112 }} data-testid="minimap" />
        <Controls showInteractive={false} data-testid="zoom-controls" />
        <CanvasToolbar problems={problems.count} />
      </ReactFlow>
      {doc.nodes.length === 0 && (
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

/** Fits the view once after a flow is loaded and its nodes are measured (never while editing). */
function useFitOnLoad(fitView: ReturnType<typeof useReactFlow>["fitView"]) {
  const loadSeq = useFlowStore((s) => s.loadSeq);
  const initialized = useNodesInitialized();
  const fitted = useRef(-1);
  useEffect(() => {
    if (fitted.current === loadSeq) return;
    const empty = useFlowStore.getState().doc.nodes.length === 0;
    if (empty) {
      fitted.current = loadSeq;
      return;
    }
    if (!initialized) return;
    fitted.current = loadSeq;
    requestAnimationFrame(() => void fitView({ padding: 0.12, maxZoom: 1 }));
  }, [loadSeq, initialized, fitView]);
}

function minimapColor(n: ProcessorRFNode): string {
  const k = n.data?.spec?.kind;
  return k === "source" ? "#0ea5e9" : k === "sink" ? "#8b5cf6" : k === "transform" ? "#10b981" : "#94a3b8";
}
