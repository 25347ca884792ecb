/** Template edits of the open flow, each one undo step through the document store's history. */
import { newId, placeTemplate, updateTemplateUse, type DroppedEdge, type FlowDocument, type FlowNode, type GroupTemplate, type Position } from "@millrace/flow";
import { flowActions, useFlowStore } from "../store/flowStore";
import { ui } from "../store/uiStore";
import { catalog } from "../catalog/specs";
import { groupUi, useGroupStore } from "../groups/groupStore";

/** Groups of `doc` placed from an older version of the template than `version`. */
export function outdatedUses(doc: Pick<FlowDocument, "groups">, templateId: string, version: number): string[] {
  return (doc.groups ?? []).filter((g) => g.template?.id === templateId && g.template.version < version).map((g) => g.id);
}

/** What an update took away, in words: the edges from outside it had to drop and the nodes it removed. */
export function describeUpdate(dropped: readonly DroppedEdge[], removed: readonly FlowNode[]): string[] {
  return [
    ...dropped.map((d) => `edge ${d.edge.from.node}.${d.edge.from.port} → ${d.edge.to.node} removed: ${d.reason}`),
    ...removed.map((n) => `node “${n.name ?? n.id}” removed: not in the new version`),
  ];
}

export const templateActions = {
  /** Places a template as a new group (inside the opened group, if one is open); the group is selected. */
  place(template: GroupTemplate, position: Position, values: Record<string, string>): string {
    const groupId = newId("group");
    const open = useGroupStore.getState().open;
    const parent = open !== undefined && useFlowStore.getState().doc.groups?.some((g) => g.id === open) ? open : undefined;
    const before = useFlowStore.getState().doc;
    flowActions.applyEdit((d) => placeTemplate(d, template, { groupId, position, values, ...(parent !== undefined ? { parent } : {}) }));
    if (useFlowStore.getState().doc === before) return groupId;
    flowActions.select({ nodes: [], edges: [] });
    groupUi.select([groupId]);
    ui.toast(`Placed “${template.name}” v${template.version}`, "success", 2500);
    return groupId;
  },

  /** Brings these groups to `template`'s version (one undo step); what had to go is said in a toast. */
  update(groupIds: readonly string[], template: GroupTemplate): void {
    let lost: string[] = [];
    flowActions.applyEdit((d) => {
      lost = [];
      return groupIds.reduce((acc, id) => {
        const r = updateTemplateUse(acc, id, template, catalog);
        lost.push(...describeUpdate(r.droppedEdges, r.removedNodes));
        return r.doc;
      }, d);
    });
    const n = groupIds.length;
    if (lost.length) ui.toast(`Updated ${n} use${n === 1 ? "" : "s"} of “${template.name}” to v${template.version} (undo brings them back):\n${lost.join("\n")}`, "error", 12_000);
    else ui.toast(`Updated ${n} use${n === 1 ? "" : "s"} of “${template.name}” to v${template.version}`, "success", 3000);
  },
};
