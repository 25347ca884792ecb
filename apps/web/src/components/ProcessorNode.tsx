import { memo, useEffect } from "react";
import { Handle, Position, useUpdateNodeInternals, type Node, type NodeProps } from "@xyflow/react";
import type { FlowNode } from "@millrace/flow";
import type { ProcessorSpec } from "../catalog/specs";
import { useStatsStore } from "../store/statsStore";
import { useLineageHover, useOnLineage } from "../store/lineageStore";

export interface ProcessorNodeData extends Record<string, unknown> {
  node: FlowNode;
  spec?: ProcessorSpec;
  ports: string[];
  hasInput: boolean;
  problems?: string[];
}

export type ProcessorRFNode = Node<ProcessorNodeData, "processor">;

function fmt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return "–";
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (Math.abs(n) >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** Live figures: subscribes to this node's stats only, so 1/s updates re-render just this. */
const NodeFigures = memo(function NodeFigures({ id }: { id: string }) {
  const s = useStatsStore((st) => st.nodes[id]);
  if (!s) return null;
  return (
    <div className="mr-node-figures" data-testid={`node-stats-${id}`}>
      <span title="records in since the deployment">in {fmt(s.in)}</span>
      <span title="records out since the deployment">out {fmt(s.out)}</span>
      <em title="records per second (last second)">{fmt(s.rate1s)}/s</em>
      {s.errors > 0 && <span className="err" title={s.lastError ? `last error: ${s.lastError}` : "errors"}>err {fmt(s.errors)}</span>}
      {s.paused && <span className="paused" title="paused by back pressure">paused</span>}
    </div>
  );
});

function ProcessorNodeImpl({ id, data, selected }: NodeProps<ProcessorRFNode>) {
  const { node, spec, ports, hasInput, problems } = data;
  const updateInternals = useUpdateNodeInternals();
  const portKey = ports.join("|");
  useEffect(() => updateInternals(id), [id, portKey, hasInput, updateInternals]);
  const kind = spec?.kind ?? "unknown";
  const title = node.name || spec?.title || node.type;
  const onLineage = useOnLineage(id);
  const hovered = useLineageHover(id);
  return (
    <div
      className={`mr-node kind-${kind}${selected ? " selected" : ""}${problems?.length ? " invalid" : ""}${onLineage ? " lineage" : ""}${hovered ? " lineage-hover" : ""}`}
      data-testid={`node-${id}`}
      data-node-type={node.type}
    >
      <div className="mr-node-head">
        <span className={`mr-kind-dot kind-${kind}`} />
        <div className="mr-node-titles">
          <div className="mr-node-title" data-testid={`node-title-${id}`}>{title}</div>
          <div className="mr-node-type">{node.type}<span className="mr-node-id"> · {id}</span></div>
        </div>
        {problems && problems.length > 0 && (
          <span className="mr-node-error" data-testid={`node-error-${id}`} title={problems.join("\n")} aria-label={problems.join("; ")}>
            !
          </span>
        )}
      </div>
      {hasInput && (
        <Handle type="target" position={Position.Left} id="in" className="mr-handle mr-handle-in" data-testid={`port-${id}-in`} />
      )}
      {ports.length > 0 && (
        <div className="mr-node-ports">
          {ports.map((p) => (
            <div key={p} className={`mr-port-row${p === "failure" ? " failure" : ""}`}>
              <span className="mr-port-label">{p}</span>
              <Handle
                type="source"
                position={Position.Right}
                id={p}
                className={`mr-handle mr-handle-out${p === "failure" ? " failure" : ""}`}
                data-testid={`port-${id}-${p}`}
                title={`output: ${p}`}
              />
            </div>
          ))}
        </div>
      )}
      <NodeFigures id={id} />
    </div>
  );
}

export const ProcessorNode = memo(ProcessorNodeImpl);
