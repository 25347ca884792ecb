import { memo, useContext } from "react";
import { createPortal } from "react-dom";
import { BaseEdge, getBezierPath, getStraightPath, type Edge, type EdgeProps } from "@xyflow/react";
import { flowActions } from "../store/flowStore";
import { useEdgeOnLineage } from "../store/lineageStore";
import { CanvasDetailContext } from "./canvasDetail";
import { EdgeFigures } from "./LiveFigures";

export interface PortEdgeData extends Record<string, unknown> {
  port: string;
  mode: "durable" | "fused";
  problems?: string[];
}

export type PortRFEdge = Edge<PortEdgeData, "port">;

function PortEdgeImpl(props: EdgeProps<PortRFEdge>) {
  const { id, source, target, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, selected, markerEnd } = props;
  const { low, labelRoot } = useContext(CanvasDetailContext);
  const onLineage = useEdgeOnLineage(source, target);
  const port = data?.port ?? "";
  const cls = [
    "mr-edge",
    port === "failure" ? "failure" : "",
    data?.mode === "fused" ? "fused" : "durable",
    selected ? "selected" : "",
    data?.problems?.length ? "invalid" : "",
    onLineage ? "lineage" : "",
  ].join(" ");
  if (low) {
    // zoomed far out: a straight line, no arrow, no label
    const [path] = getStraightPath({ sourceX, sourceY, targetX, targetY });
    return <BaseEdge id={id} path={path} className={cls} interactionWidth={0} />;
  }
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  return (
    <>
      <BaseEdge id={id} path={path} markerEnd={markerEnd} className={cls} interactionWidth={18} />
      {labelRoot &&
        createPortal(
          <div
            className={`mr-edge-label nodrag nopan ${cls}`}
            onClick={(e) => {
              e.stopPropagation();
              flowActions.select({ nodes: [], edges: [id] });
            }}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
            data-testid={`edge-label-${id}`}
            title={data?.problems?.join("\n") ?? `${port} · ${data?.mode ?? "durable"}`}
          >
            {port}
            {data?.mode === "fused" && <span className="mr-edge-mode"> ⚡</span>}
            <EdgeFigures id={id} fused={data?.mode === "fused"} />
          </div>,
          labelRoot,
        )}
    </>
  );
}

/** Re-renders when its geometry or what it draws changes. */
export const PortEdge = memo(PortEdgeImpl);
