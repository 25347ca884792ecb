import type { FlowDocument, FlowGroup, Position } from "./document.js";
import { FlowEditError } from "./edit.js";
import { quote, type FlowError } from "./errors.js";

/**
 * Process groups: which nodes are drawn together, possibly nested. Layout only: the planner never
 * reads them, and a document without groups keeps no `groups` key, so it exports as before.
 * Here: the rules a document's groups follow (groupErrors) and the pure edits the designer makes.
 */

/**
 * Errors in a document's groups, each at its path: duplicate group ids, members that are not
 * nodes of the flow or already in another group, parents that do not exist, cycles of parents.
 */
export function groupErrors(doc: Pick<FlowDocument, "nodes" | "groups">): FlowError[] {
  const groups = doc.groups;
  if (!groups?.length) return [];
  const errors: FlowError[] = [];
  const nodeIds = new Set(doc.nodes.map((n) => n.id));
  const groupAt = new Map<string, number>();
  groups.forEach((g, i) => {
    const first = groupAt.get(g.id);
    if (first === undefined) groupAt.set(g.id, i);
    else errors.push({ path: `groups[${i}].id`, message: `duplicate group id ${quote(g.id)} (also groups[${first}].id)` });
  });
  const memberOf = new Map<string, number>();
  groups.forEach((g, i) => {
    g.nodes.forEach((nodeId, j) => {
      const path = `groups[${i}].nodes[${j}]`;
      if (!nodeIds.has(nodeId)) {
        errors.push({ path, message: `node ${quote(nodeId)} does not exist` });
        return;
      }
      const other = memberOf.get(nodeId);
      if (other === undefined) memberOf.set(nodeId, i);
      else errors.push({ path, message: `node ${quote(nodeId)} is already in group ${quote(groups[other]!.id)} (groups[${other}]): a node is in one group at most` });
    });
    if (g.parent !== undefined && !groupAt.has(g.parent)) errors.push({ path: `groups[${i}].parent`, message: `group ${quote(g.parent)} does not exist` });
  });
  // A cycle of parents: walking up from a group comes back to it.
  const reported = new Set<string>();
  groups.forEach((g, i) => {
    const seen: string[] = [g.id];
    let parent = g.parent;
    while (parent !== undefined && groupAt.has(parent)) {
      if (parent === g.id) {
        if (!seen.some((id) => reported.has(id))) {
          seen.forEach((id) => reported.add(id));
          const names = [...seen, g.id].map((id) => quote(id)).join(" → ");
          errors.push({ path: `groups[${i}].parent`, message: `groups nested in a cycle: ${names}` });
        }
        return;
      }
      if (seen.includes(parent)) return; // a cycle further up, reported from one of its own groups
      seen.push(parent);
      parent = groups[groupAt.get(parent)!]!.parent;
    }
  });
  return errors;
}

/** The group a node is directly in, by node id. */
export function groupOfNode(groups: readonly FlowGroup[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const g of groups ?? []) for (const id of g.nodes) out.set(id, g.id);
  return out;
}

function groupIndex(doc: FlowDocument, groupId: string): number {
  const i = doc.groups?.findIndex((g) => g.id === groupId) ?? -1;
  if (i < 0) throw new FlowEditError("group-not-found", `group ${quote(groupId)} does not exist`);
  return i;
}

/** The document with `groups` set, or without the key when none are left (it exports as one that never had groups). */
function withGroups(doc: FlowDocument, groups: FlowGroup[]): FlowDocument {
  const { groups: _old, ...rest } = doc;
  return groups.length ? { ...rest, groups } : rest;
}

function withGroup(doc: FlowDocument, groupId: string, change: (g: FlowGroup) => FlowGroup): FlowDocument {
  const i = groupIndex(doc, groupId);
  const groups = [...doc.groups!];
  groups[i] = change(groups[i]!);
  return { ...doc, groups };
}

export interface NewGroup {
  id: string;
  name: string;
  color?: string;
  /** nodes to move into the group */
  nodes: readonly string[];
  /** groups to nest in it */
  groups?: readonly string[];
}

/**
 * Puts nodes and groups into a new group, nested where its members were: in the group that held
 * them all, else at the top level. Throws when there is nothing to group, a node or group is
 * unknown, or the id is taken.
 */
export function createGroup(doc: FlowDocument, spec: NewGroup): FlowDocument {
  const childGroups = spec.groups ?? [];
  if (spec.nodes.length + childGroups.length === 0) throw new FlowEditError("nothing-to-group", "select nodes or groups to group");
  if (doc.groups?.some((g) => g.id === spec.id)) throw new FlowEditError("duplicate-group-id", `a group with id ${quote(spec.id)} already exists`);
  const nodeIds = new Set(doc.nodes.map((n) => n.id));
  for (const id of spec.nodes) if (!nodeIds.has(id)) throw new FlowEditError("node-not-found", `node ${quote(id)} does not exist`);
  for (const id of childGroups) groupIndex(doc, id);
  const groups = doc.groups ?? [];
  const nodeParent = groupOfNode(groups);
  const parents = new Set<string | undefined>([
    ...spec.nodes.map((id) => nodeParent.get(id)),
    ...childGroups.map((id) => groups.find((g) => g.id === id)!.parent),
  ]);
  const parent = parents.size === 1 ? [...parents][0] : undefined;
  const moving = new Set(spec.nodes);
  const nesting = new Set(childGroups);
  const created: FlowGroup = {
    id: spec.id,
    name: spec.name,
    ...(spec.color ? { color: spec.color } : {}),
    nodes: [...spec.nodes],
    ...(parent !== undefined ? { parent } : {}),
  };
  const next = groups.map((g) => {
    const keep = g.nodes.some((id) => moving.has(id)) ? { ...g, nodes: g.nodes.filter((id) => !moving.has(id)) } : g;
    return nesting.has(g.id) ? { ...keep, parent: spec.id } : keep;
  });
  return withGroups(doc, [...next, created]);
}

/** Removes a group: its nodes and nested groups go to the group it was in (or the top level). */
export function ungroup(doc: FlowDocument, groupId: string): FlowDocument {
  const removed = doc.groups![groupIndex(doc, groupId)]!;
  const rest = doc.groups!.filter((g) => g.id !== groupId).map((g) => {
    let next = g;
    if (g.parent === groupId) {
      const { parent: _p, ...top } = g;
      next = removed.parent !== undefined ? { ...top, parent: removed.parent } : top;
    }
    if (g.id === removed.parent) next = { ...next, nodes: [...next.nodes, ...removed.nodes] };
    return next;
  });
  return withGroups(doc, rest);
}

export function renameGroup(doc: FlowDocument, groupId: string, name: string): FlowDocument {
  const trimmed = name.trim();
  if (!trimmed) throw new FlowEditError("invalid-name", "a group needs a name");
  return withGroup(doc, groupId, (g) => ({ ...g, name: trimmed }));
}

/** undefined: the default colour (the key goes). */
export function setGroupColor(doc: FlowDocument, groupId: string, color: string | undefined): FlowDocument {
  if (color !== undefined && !/^#[0-9a-fA-F]{6}$/.test(color)) throw new FlowEditError("invalid-name", `colour ${quote(color)} is not #rrggbb`);
  return withGroup(doc, groupId, (g) => {
    const { color: _c, ...rest } = g;
    return color ? { ...rest, color } : rest;
  });
}

export function setGroupCollapsed(doc: FlowDocument, groupId: string, collapsed: boolean): FlowDocument {
  return withGroup(doc, groupId, (g) => {
    const { collapsed: _c, ...rest } = g;
    return collapsed ? { ...rest, collapsed: true } : rest;
  });
}

export function moveGroup(doc: FlowDocument, groupId: string, position: Position): FlowDocument {
  return withGroup(doc, groupId, (g) => ({ ...g, position: { x: position.x, y: position.y } }));
}

/** Moves nodes into a group (out of any other): a node added while a group is open belongs to it. */
export function addNodesToGroup(doc: FlowDocument, groupId: string, nodeIds: readonly string[]): FlowDocument {
  groupIndex(doc, groupId);
  const known = new Set(doc.nodes.map((n) => n.id));
  for (const id of nodeIds) if (!known.has(id)) throw new FlowEditError("node-not-found", `node ${quote(id)} does not exist`);
  const moving = new Set(nodeIds);
  return {
    ...doc,
    groups: doc.groups!.map((g) => {
      const rest = g.nodes.filter((id) => !moving.has(id));
      return g.id === groupId ? { ...g, nodes: [...rest, ...nodeIds] } : rest.length === g.nodes.length ? g : { ...g, nodes: rest };
    }),
  };
}

/** Drops removed nodes from their groups (a removal must leave the groups valid). */
export function pruneGroupMembers(doc: FlowDocument): FlowDocument {
  if (!doc.groups?.length) return doc;
  const nodeIds = new Set(doc.nodes.map((n) => n.id));
  if (doc.groups.every((g) => g.nodes.every((id) => nodeIds.has(id)))) return doc;
  return { ...doc, groups: doc.groups.map((g) => (g.nodes.every((id) => nodeIds.has(id)) ? g : { ...g, nodes: g.nodes.filter((id) => nodeIds.has(id)) })) };
}
