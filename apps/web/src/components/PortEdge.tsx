import { memo, useContext } from "react";
import { createPortal } from "react-dom";
import { BaseEdge, getBezierPath, getStraightPath, type Edge, type EdgeProps } from "@xyflow/react";
import { formatFieldChange, type EdgeDiff } from "@millrace/flow";
import { flowActions } from "../store/flowStore";
import { useEdgeOnLineage } from "../store/lineageStore";
import { CanvasDetailContext } from "./canvasDetail";
import { EdgeFigures } from "./LiveFigures";
import { GUARANTEE_SHORT, MODE_LABEL, type Guarantee } from "../edgeRuntime";

export interface PortEdgeData extends Record<string, unknown> {
  port: string;
  /** as the deployed plan runs it, else as the document asks */
  mode: "durable" | "fused";
  guarantee?: Guarantee;
  /** mode and guarantee come from the running deployment */
  deployed?: boolean;
  problems?: string[];
  /** in compare mode: added, removed (a ghost) or changed */
  diff?: EdgeDiff;
}

export type PortRFEdge = Edge<PortEdgeData, "port">;

function PortEdgeImpl(props: EdgeProps<PortRFEdge>) {
  const { id, source, target, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, selected, markerEnd } = props;
  const { low, labelRoot } = useContext(CanvasDetailContext);
  const onLineage = useEdgeOnLineage(source, target);
  const port = data?.port ?? "";
  const mode = data?.mode ?? "durable";
  const guarantee = data?.guarantee ?? "at-least-once";
  const cls = [
    "mr-edge",
    port === "failure" ? "failure" : "",
    data?.mode === "fused" ? "fused" : "durable",
    selected ? "selected" : "",
    data?.problems?.length ? "invalid" : "",
    onLineage ? "lineage" : "",
    data?.diff ? `diff-${data.diff.status}` : "",
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
            data-diff={data?.diff?.status}
            title={data?.problems?.join("\n") ?? (data?.diff ? diffTitle(data.diff) : edgeTitle(port, mode, guarantee, data?.deployed === true))}
          >
            {port}
            <span className={`mr-edge-mode ${mode}`} data-testid={`edge-mode-label-${id}`}>
              {mode === "fused" ? "⚡ " : ""}
              {MODE_LABEL[mode]}
              <span className="mr-edge-guarantee" data-testid={`edge-guarantee-label-${id}`}>
                {GUARANTEE_SHORT[guarantee]}
              </span>
            </span>
            <EdgeFigures id={id} fused={mode === "fused"} />
          </div>,
          labelRoot,
        )}
    </>
  );
}

function diffTitle(d: EdgeDiff): string {
  return [`connection ${d.status}`, ...d.changes.map(formatFieldChange)].join("\n");
}

function edgeTitle(port: string, mode: "durable" | "fused", guarantee: Guarantee, deployed: boolean): string {
  const how = mode === "fused" ? "fused: runs in its upstream's stage, no topic" : "durable: through a Kafka topic";
  return `${port} · ${how} · ${guarantee}${deployed ? " (as deployed)" : " (as a deploy would run it)"}`;
}

/** Re-renders when its geometry or what it draws changes. */
export const PortEdge = memo(PortEdgeImpl);
