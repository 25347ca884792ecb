import { useState } from "react";
import { Panel, useReactFlow } from "@xyflow/react";
import { flowActions, useFlowStore, useCanRedo, useCanUndo } from "../store/flowStore";
import { ui, useUiStore } from "../store/uiStore";
import { GroupButton } from "../groups/GroupControls";

export async function runAutoLayout(fitView?: () => void) {
  const { doc, measured } = useFlowStore.getState();
  if (doc.nodes.length === 0) return;
  const { autoLayout } = await import("../layout/autoLayout");
  const positions = await autoLayout(doc, measured);
  flowActions.moveNodes(positions);
  if (fitView) requestAnimationFrame(() => fitView());
}

export function CanvasToolbar({ problems, readOnly = false }: { problems: number; readOnly?: boolean }) {
  const { fitView } = useReactFlow();
  const snap = useUiStore((s) => s.snapToGrid);
  const minimap = useUiStore((s) => s.minimap);
  const canUndo = useCanUndo();
  const canRedo = useCanRedo();
  const [busy, setBusy] = useState(false);
  return (
    <Panel position="top-left" className="mr-toolbar" data-testid="canvas-toolbar">
      <button data-testid="undo-button" onClick={flowActions.undo} disabled={!canUndo || readOnly} title="Undo (Ctrl+Z)">
        ↶
      </button>
      <button data-testid="redo-button" onClick={flowActions.redo} disabled={!canRedo || readOnly} title="Redo (Ctrl+Shift+Z / Ctrl+Y)">
        ↷
      </button>
      <span className="mr-sep" />
      <GroupButton readOnly={readOnly} />
      <button
        data-testid="layout-button"
        disabled={busy || readOnly}
        title="Auto-layout (L)"
        onClick={async () => {
          setBusy(true);
          try {
            await runAutoLayout(() => fitView({ padding: 0.12, duration: 200, maxZoom: 1 }));
          } catch (e) {
            ui.toast(`Auto-layout failed: ${(e as Error).message}`, "error");
          } finally {
            setBusy(false);
          }
        }}
      >
        Auto-layout
      </button>
      <button data-testid="fit-view-button" title="Fit view (F)" onClick={() => fitView({ padding: 0.12, duration: 200, maxZoom: 1 })}>
        Fit
      </button>
      <button data-testid="snap-toggle" className={snap ? "on" : ""} aria-pressed={snap} title="Snap to grid (G)" onClick={ui.toggleSnap}>
        Snap {snap ? "on" : "off"}
      </button>
      {/* not "Map": that is a processor's name */}
      <button data-testid="minimap-toggle" className={minimap ? "on" : ""} aria-pressed={minimap} title="Overview: a small map of the whole flow in the corner, on/off (M)" onClick={ui.toggleMinimap}>
        Overview
      </button>
      <button data-testid="help-button" title="Keyboard shortcuts (?)" onClick={() => ui.help(true)}>
        ?
      </button>
      {readOnly && (
        <span className="mr-readonly-tag" data-testid="read-only-tag" title="An earlier version, shown read-only">
          read-only
        </span>
      )}
      {problems > 0 && (
        <span className="mr-problems" data-testid="problem-count" title="Hover a red mark on a node to see why">
          {problems} problem{problems === 1 ? "" : "s"}
        </span>
      )}
    </Panel>
  );
}
