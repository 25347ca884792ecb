import { memo, useContext, useEffect, useRef } from "react";
import { Handle, Position, useUpdateNodeInternals, type Node, type NodeProps } from "@xyflow/react";
import type { NodeDiff } from "@millrace/flow";
import type { ProcessorSpec } from "../catalog/specs";
import { useLineageHover, useOnLineage } from "../store/lineageStore";
import { CanvasDetailContext } from "./canvasDetail";
import { NodeFailureBadge, NodeFigures } from "./LiveFigures";
import { DiffMark } from "./DiffMark";

/** What a node draws; the object is kept while these stay the same (moves and selection do not touch it). */
export interface ProcessorNodeData extends Record<string, unknown> {
  type: string;
  title: string;
  spec?: ProcessorSpec;
  ports: string[];
  hasInput: boolean;
  problems?: string[];
  /** in compare mode: added, removed (a ghost) or changed, and the fields that changed */
  diff?: NodeDiff;
}

export type ProcessorRFNode = Node<ProcessorNodeData, "processor">;

function ProcessorNodeImpl({ id, data, selected }: NodeProps<ProcessorRFNode>) {
  const { low } = useContext(CanvasDetailContext);
  return low ? <LowDetailNode id={id} data={data} selected={!!selected} /> : <FullNode id={id} data={data} selected={!!selected} />;
}

interface Props {
  id: string;
  data: ProcessorNodeData;
  selected: boolean;
}

function useNodeClass(id: string, { spec, problems, diff }: ProcessorNodeData, selected: boolean) {
  const onLineage = useOnLineage(id);
  const hovered = useLineageHover(id);
  const kind = spec?.kind ?? "unknown";
  return `mr-node kind-${kind}${selected ? " selected" : ""}${problems?.length ? " invalid" : ""}${onLineage ? " lineage" : ""}${hovered ? " lineage-hover" : ""}${diff ? ` diff-${diff.status}` : ""}`;
}

function FullNode({ id, data, selected }: Props) {
  const { type, title, spec, ports, hasInput, problems } = data;
  const updateInternals = useUpdateNodeInternals();
  const portKey = ports.join("|");
  // React Flow measures a node when it mounts; tell it only when the ports change afterwards
  const shape = useRef(`${portKey}/${hasInput}`);
  useEffect(() => {
    const now = `${portKey}/${hasInput}`;
    if (shape.current === now) return;
    shape.current = now;
    updateInternals(id);
  }, [id, portKey, hasInput, updateInternals]);
  const kind = spec?.kind ?? "unknown";
  return (
    <div className={useNodeClass(id, data, selected)} data-testid={`node-${id}`} data-node-type={type}>
      <div className="mr-node-head">
        <span className={`mr-kind-dot kind-${kind}`} />
        <div className="mr-node-titles">
          <div className="mr-node-title" data-testid={`node-title-${id}`} title={title}>{title}</div>
          <div className="mr-node-type" title={`${type} · ${id}`}>
            {/* the id is what problems and lineage name: it stays whole, the type gives way first
                (and is left out when the id already starts with it: "kafka-sink-1") */}
            {!id.startsWith(type) && <span className="mr-node-typename">{type} ·</span>}
            <span className="mr-node-id">{id}</span>
          </div>
        </div>
        {data.diff && <DiffMark id={id} diff={data.diff} />}
        <NodeFailureBadge id={id} />
        {problems && problems.length > 0 && <ProblemMark id={id} problems={problems} />}
      </div>
      {hasInput && (
        <Handle type="target" position={Position.Left} id="in" className="mr-handle mr-handle-in" data-testid={`port-${id}-in`} />
      )}
      {ports.length > 0 && (
        <div className="mr-node-ports">
          {ports.map((p) => (
            <div key={p} className={`mr-port-row${p === "failure" ? " failure" : ""}`}>
              {/* the label is part of the handle: a drag that starts on it connects, never moves the node */}
              <Handle type="source" position={Position.Right} id={p} className="mr-port-handle" data-testid={`port-${id}-${p}`} title={`output ${p}: drag onto another node to connect`}>
                <span className="mr-port-label">{p}</span>
                <span className={`mr-handle mr-handle-out${p === "failure" ? " failure" : ""}`} />
              </Handle>
            </div>
          ))}
        </div>
      )}
      <NodeFigures id={id} source={!hasInput} sink={ports.length === 0 || spec?.kind === "sink"} replicates={spec?.runner === "mirror"} />
    </div>
  );
}

/**
 * The red mark and its reasons: a focusable button whose tooltip shows on hover AND keyboard
 * focus and is its accessible description (the title stays for a quick native hover too).
 */
function ProblemMark({ id, problems }: { id: string; problems: string[] }) {
  const tipId = `node-error-tip-${id}`;
  return (
    <span className="mr-node-error-wrap">
      <button
        type="button"
        className="mr-node-error nodrag"
        data-testid={`node-error-${id}`}
        title={problems.join("\n")}
        aria-label={`${problems.length} problem${problems.length === 1 ? "" : "s"}`}
        aria-describedby={tipId}
      >
        !
      </button>
      <span role="tooltip" id={tipId} className="mr-node-tip" data-testid={`node-error-tip-${id}`}>
        {problems.map((p) => (
          <span key={p}>{p}</span>
        ))}
      </span>
    </span>
  );
}

/**
 * Zoomed far out: React Flow's node is a transparent box of the low-detail size (what is
 * measured, hovered, clicked and dragged); what people see is drawn in one layer by
 * LowDetailNodes, and the edges by LowDetailEdges from node positions alone. So it has no ports:
 * React Flow measures every port of every node it shows (a layout read each), 3 elements per node
 * that a 5,000-node flow would create, lay out and read for nothing, as nothing connects at this
 * zoom. Zooming in changes the node's size, and React Flow measures the full node's ports then.
 */
function LowDetailNode({ id, data }: Props) {
  const { type, problems } = data;
  return <div className={`mr-node-hit${data.diff ? ` diff-${data.diff.status}` : ""}`} data-testid={`node-${id}`} data-node-type={type} title={problems?.join("\n")} />;
}

/** Re-renders only when what it draws changes: not for moves, sizes or drag state. */
export const ProcessorNode = memo(ProcessorNodeImpl, (a, b) => a.id === b.id && a.data === b.data && a.selected === b.selected);
