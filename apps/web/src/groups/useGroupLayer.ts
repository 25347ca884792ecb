import { useCallback, useMemo, useRef } from "react";
import type { Node } from "@xyflow/react";
import type { FlowDocument } from "@millrace/flow";
import { useFlowStore } from "../store/flowStore";
import { groupRfId, groupView, type GroupView } from "./groupView";
import { useGroupStore } from "./groupStore";
import { useGroupKeyboard } from "./GroupControls";
import type { GroupBoxRFNode, GroupFrameRFNode } from "./GroupNode";

export interface GroupLayer {
  view: GroupView;
  /** the processor nodes with the group frames (behind) and boxes; the same array when there are none */
  withGroupNodes: <N extends Node>(nodes: N[]) => N[];
}

/** The canvas's process-group layer: the level shown, the group boxes and frames as React Flow nodes, Ctrl+G. */
export function useGroupLayer(doc: FlowDocument, readOnly: boolean): GroupLayer {
  const open = useGroupStore((s) => s.open);
  const selected = useGroupStore((s) => s.selected);
  const hasGroups = !!doc.groups?.length;
  // frames are drawn around measured nodes; a flow without groups never subscribes to sizes
  const sizes = useFlowStore((s) => (hasGroups ? s.measured : null));
  const { nodes, edges, groups } = doc;
  const view = useMemo(() => groupView({ nodes, edges, groups }, open, sizes ?? undefined), [nodes, edges, groups, open, sizes]);
  const groupNodes = useMemo(() => {
    const sel = new Set(selected);
    // a rebuilt node object without its measured size is hidden by React Flow until measured again
    const measured = useFlowStore.getState().measured;
    const size = (rfId: string) => (measured[rfId] ? { measured: measured[rfId] } : {});
    const frames: GroupFrameRFNode[] = view.frames.map((frame) => ({
      id: groupRfId(frame.group.id),
      type: "groupFrame",
      position: frame.position,
      data: { frame },
      // not `selected`: React Flow would raise a selected node above the nodes inside the frame
      ...(sel.has(frame.group.id) ? { className: "mr-group-selected" } : {}),
      selectable: false,
      draggable: false,
      connectable: false,
      zIndex: -10 + frame.depth,
      ...size(groupRfId(frame.group.id)),
    }));
    const boxes: GroupBoxRFNode[] = view.boxes.map((box) => ({
      id: groupRfId(box.group.id),
      type: "groupBox",
      position: box.position,
      data: { box },
      selected: sel.has(box.group.id),
      draggable: !readOnly,
      connectable: false,
      ...size(groupRfId(box.group.id)),
    }));
    return { frames, boxes };
  }, [view, selected, readOnly, sizes]);

  const last = useRef<{ input: unknown; groupNodes: unknown; output: unknown } | null>(null);
  const withGroupNodes = useCallback(<N extends Node>(processorNodes: N[]): N[] => {
    if (!groupNodes.frames.length && !groupNodes.boxes.length) return processorNodes;
    if (last.current?.input === processorNodes && last.current.groupNodes === groupNodes) return last.current.output as N[];
    const output = [...(groupNodes.frames as unknown as N[]), ...processorNodes, ...(groupNodes.boxes as unknown as N[])];
    last.current = { input: processorNodes, groupNodes, output };
    return output;
  }, [groupNodes]);

  useGroupKeyboard(readOnly);
  return { view, withGroupNodes };
}
