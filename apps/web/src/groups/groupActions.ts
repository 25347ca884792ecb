/** Group edits from the canvas: each one undo step through the document store's history. */
import { addNodesToGroup, createGroup, moveGroup, newId, renameGroup, setGroupCollapsed, setGroupColor, ungroup, type FlowDocument, type Position } from "@millrace/flow";
import { flowActions, useFlowStore } from "../store/flowStore";
import * as ops from "../doc/ops";
import { groupIdOf } from "./groupView";
import { groupUi, useGroupStore } from "./groupStore";

/** Colours offered for a group (the first is the default look, no colour stored). */
export const GROUP_COLORS = ["#64748b", "#2563eb", "#0d9488", "#16a34a", "#ca8a04", "#ea580c", "#db2777", "#7c3aed"] as const;

function nextGroupName(doc: FlowDocument): string {
  const taken = new Set((doc.groups ?? []).map((g) => g.name));
  let i = (doc.groups?.length ?? 0) + 1;
  while (taken.has(`Group ${i}`)) i++;
  return `Group ${i}`;
}

export const groupActions = {
  /** Groups the selected nodes and groups; the new group is selected. False: nothing selected. */
  groupSelection(): boolean {
    const { doc, selection } = useFlowStore.getState();
    const groups = useGroupStore.getState().selected;
    if (selection.nodes.length + groups.length === 0) return false;
    const id = newId("group");
    const before = useFlowStore.getState().doc;
    flowActions.applyEdit((d) => createGroup(d, { id, name: nextGroupName(doc), nodes: selection.nodes, groups }));
    if (useFlowStore.getState().doc === before) return false;
    flowActions.select({ nodes: [], edges: [] });
    groupUi.select([id]);
    return true;
  },
  /** Ungroups the selected groups: their contents stay where they are drawn. */
  ungroupSelection(): boolean {
    const ids = useGroupStore.getState().selected;
    if (!ids.length) return false;
    flowActions.applyEdit((d) => ids.reduce((acc, id) => ungroup(acc, id), d));
    groupUi.select([]);
    return true;
  },
  rename(groupId: string, name: string) {
    flowActions.applyEdit((d) => renameGroup(d, groupId, name), `group:${groupId}:name`);
  },
  setColor(groupId: string, color: string | undefined) {
    flowActions.applyEdit((d) => setGroupColor(d, groupId, color === GROUP_COLORS[0] ? undefined : color));
  },
  setCollapsed(groupId: string, collapsed: boolean) {
    flowActions.applyEdit((d) => setGroupCollapsed(d, groupId, collapsed));
  },
  /** Opens a group (only its contents are shown), or goes back out to `undefined` = the whole flow. */
  open(groupId: string | undefined) {
    flowActions.select({ nodes: [], edges: [] });
    groupUi.open(groupId);
  },
  /** Adds a node where the user is: into the opened group, else at the top level (one undo step). */
  addNode(type: string, typeVersion: number, position: Position): string {
    const open = useGroupStore.getState().open;
    if (open === undefined || !useFlowStore.getState().doc.groups?.some((g) => g.id === open)) return flowActions.addNode(type, typeVersion, {}, position);
    const id = ops.nextNodeId(useFlowStore.getState().doc, type);
    flowActions.applyEdit((d) => addNodesToGroup(ops.addNode(d, { id, type, typeVersion, config: {}, position }), open, [id]));
    flowActions.select({ nodes: [id], edges: [] });
    return id;
  },
  /** The end of a drag that moved nodes and collapsed boxes: one undo step for all of them. */
  commitMove(moved: Record<string, Position>) {
    const boxes: [string, Position][] = [];
    for (const id in moved) {
      const g = groupIdOf(id);
      if (g !== undefined) boxes.push([g, moved[id]!]);
    }
    if (!boxes.length) {
      flowActions.moveNodes(moved);
      return;
    }
    flowActions.applyEdit((d) => boxes.reduce((acc, [g, p]) => moveGroup(acc, g, p), ops.moveNodes(d, moved)));
    useFlowStore.setState({ drag: null });
  },
};
