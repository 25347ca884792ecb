/**
 * What the overview draws, as plain data (pure): one entry per node with its box's place and
 * look, one per edge with the indices of its ends. Built once per change of the flow, the
 * selection or the marks; panning and zooming only repaint it.
 */
import type { FlowEdge, FlowNode, NodeDiff, Position } from "@millrace/flow";
import { LOW_H, LOW_W, lowTitle } from "../lowDetail";
import type { NodeRect } from "./nodeIndex";

export interface SceneNode extends NodeRect {
  kind: string;
  title: string;
  selected: boolean;
  invalid: boolean;
  /** on the lineage of the record shown, or hovered in the lineage panel */
  lineage: boolean;
  mark: "fail" | "paused" | undefined;
  diff: NodeDiff["status"] | undefined;
}

export type EdgeLook = "plain" | "failure" | "invalid" | "selected" | "lineage";

export interface SceneEdge {
  id: string;
  from: number;
  to: number;
  look: EdgeLook;
}

export interface Scene {
  nodes: SceneNode[];
  edges: SceneEdge[];
  /** node id → index in `nodes` */
  byId: Map<string, number>;
}

export interface SceneInput {
  nodes: readonly FlowNode[];
  edges: readonly FlowEdge[];
  kindOf: (type: string) => string | undefined;
  titleOf: (node: FlowNode) => string;
  selectedNodes: ReadonlySet<string>;
  selectedEdges: ReadonlySet<string>;
  invalidNodes: (id: string) => boolean;
  invalidEdges: (id: string) => boolean;
  lineageNodes: ReadonlySet<string>;
  lineageHover: string | null;
  /** "from|to" pairs of the lineage shown */
  lineagePairs: ReadonlySet<string>;
  marks: Readonly<Record<string, "fail" | "paused">>;
  diffs: ReadonlyMap<string, NodeDiff> | null;
  /** positions of a move not yet committed (keyboard nudges), over the document's */
  pending: Readonly<Record<string, Position>> | null;
}

export function buildScene(input: SceneInput): Scene {
  const byId = new Map<string, number>();
  const nodes = input.nodes.map((n, i): SceneNode => {
    byId.set(n.id, i);
    const at = input.pending?.[n.id] ?? n.position;
    return {
      id: n.id,
      x: at.x,
      y: at.y,
      w: LOW_W,
      h: LOW_H,
      kind: input.kindOf(n.type) ?? "unknown",
      title: lowTitle(input.titleOf(n)),
      selected: input.selectedNodes.has(n.id),
      invalid: input.invalidNodes(n.id),
      lineage: input.lineageNodes.has(n.id) || input.lineageHover === n.id,
      mark: input.marks[n.id],
      diff: input.diffs?.get(n.id)?.status,
    };
  });
  const edges: SceneEdge[] = [];
  for (const e of input.edges) {
    const from = byId.get(e.from.node);
    const to = byId.get(e.to.node);
    if (from === undefined || to === undefined) continue;
    const look: EdgeLook = input.lineagePairs.has(`${e.from.node}|${e.to.node}`)
      ? "lineage"
      : input.selectedEdges.has(e.id)
        ? "selected"
        : input.invalidEdges(e.id)
          ? "invalid"
          : e.from.port === "failure"
            ? "failure"
            : "plain";
    edges.push({ id: e.id, from, to, look });
  }
  return { nodes, edges, byId };
}

/** The edges with an end among `moving` (node indices): what a drag redraws on each frame. */
export function edgesTouching(scene: Scene, moving: ReadonlySet<number>): number[] {
  const out: number[] = [];
  scene.edges.forEach((e, i) => {
    if (moving.has(e.from) || moving.has(e.to)) out.push(i);
  });
  return out;
}
