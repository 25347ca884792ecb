import { memo } from "react";
import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import type { GroupBox, GroupFrame } from "./groupView";
import { groupActions } from "./groupActions";
import { groupUi } from "./groupStore";
import { TemplateBadge } from "../templates/TemplateBadge";
import "./groups.css";

export type GroupBoxRFNode = Node<{ box: GroupBox }, "groupBox">;
export type GroupFrameRFNode = Node<{ frame: GroupFrame }, "groupFrame">;

const DEFAULT_COLOR = "#64748b";

/** A collapsed group: one box with a port per boundary crossing (inputs left, outputs right). */
function GroupBoxNodeImpl({ data: { box }, selected }: NodeProps<GroupBoxRFNode>) {
  const { group, inputs, outputs, nodeCount } = box;
  const rows = Math.max(inputs.length, outputs.length);
  return (
    <div
      className={`mr-group-box${selected ? " selected" : ""}`}
      style={{ ["--group-color" as string]: group.color ?? DEFAULT_COLOR }}
      data-testid={`group-box-${group.id}`}
      title="Double-click to open"
      // the second click of a double-click (its `detail`): the canvas's double-click zoom swallows the dblclick event itself
      onClick={(e) => {
        if (e.detail === 2) groupActions.open(group.id);
      }}
    >
      <div className="mr-group-box-head">
        <span className="mr-group-icon" aria-hidden>▣</span>
        <span className="mr-group-name" data-testid={`group-name-${group.id}`}>{group.name}</span>
        <TemplateBadge group={group} />
        <button
          type="button"
          className="mr-group-btn nodrag"
          data-testid={`group-expand-${group.id}`}
          title="Expand: show its nodes here"
          onClick={(e) => {
            e.stopPropagation();
            groupActions.setCollapsed(group.id, false);
          }}
        >
          ⤢
        </button>
      </div>
      <div className="mr-group-box-sub">
        {nodeCount} node{nodeCount === 1 ? "" : "s"} · group
      </div>
      <div className="mr-group-ports" style={{ minHeight: rows * 22 }}>
        <div className="mr-group-port-col">
          {inputs.map((p) => (
            <div key={p.handle} className="mr-group-port in" data-testid={`group-port-${group.id}-${p.handle}`}>
              <Handle type="target" position={Position.Left} id={p.handle} isConnectable={false} className="mr-handle mr-handle-in" />
              <span className="mr-group-port-label" title={`input: into ${p.label}`}>{p.label}</span>
            </div>
          ))}
        </div>
        <div className="mr-group-port-col out">
          {outputs.map((p) => (
            <div key={p.handle} className="mr-group-port out" data-testid={`group-port-${group.id}-${p.handle}`}>
              <span className="mr-group-port-label" title={`output: ${p.label}`}>{p.label}</span>
              <Handle type="source" position={Position.Right} id={p.handle} isConnectable={false} className="mr-handle mr-handle-out" />
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}

/** An expanded group: a frame around its nodes; its header selects (click), opens (double-click) and collapses it. */
function GroupFrameNodeImpl({ data: { frame } }: NodeProps<GroupFrameRFNode>) {
  const { group, width, height } = frame;
  return (
    <div className="mr-group-frame" style={{ width, height, ["--group-color" as string]: group.color ?? DEFAULT_COLOR }} data-testid={`group-frame-${group.id}`}>
      <div
        className="mr-group-frame-head"
        title="Click to select, double-click to open"
        onClick={(e) => {
          e.stopPropagation();
          if (e.detail === 2) groupActions.open(group.id);
          else groupUi.select([group.id]);
        }}
      >
        <span className="mr-group-name" data-testid={`group-name-${group.id}`}>{group.name}</span>
        <TemplateBadge group={group} />
        <button
          type="button"
          className="mr-group-btn nodrag"
          data-testid={`group-collapse-${group.id}`}
          title="Collapse to one box"
          onClick={(e) => {
            e.stopPropagation();
            groupActions.setCollapsed(group.id, true);
          }}
        >
          ⤡
        </button>
      </div>
    </div>
  );
}

export const GroupBoxNode = memo(GroupBoxNodeImpl, (a, b) => a.data === b.data && a.selected === b.selected);
export const GroupFrameNode = memo(GroupFrameNodeImpl, (a, b) => a.data === b.data && a.selected === b.selected);
