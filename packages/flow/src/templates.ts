import { z } from "zod";
import type { CatalogLike } from "./catalog-types.js";
import {
  EdgeSchema,
  IdSchema,
  NodeSchema,
  TEMPLATE_PARAMETER_NAME,
  type FlowDocument,
  type FlowEdge,
  type FlowGroup,
  type FlowNode,
  type FlowParameter,
  type GroupTemplateUse,
  type Position,
} from "./document.js";
import { formatPath, quote, type PathSegment } from "./errors.js";
import { findParameterReferences, replaceReferences } from "./parameters.js";
import { inSecretField, secretFields } from "./secret-fields.js";

/**
 * Group templates: a group saved with its nodes, internal edges, boundary ports and parameters,
 * to be placed in other flows. A placed template is ordinary nodes plus a group that records the
 * template's id, version and the values it was given, so the planner never learns of templates.
 * Placed node ids are `<group id>.<template node id>`: an update finds the node each template node
 * became, and edges from outside the group stay wired to nodes the new version keeps.
 */

/** `versions`: the most versions one template keeps (each is a row, and saving is an editor's click). */
export const TEMPLATE_LIMITS = { nodes: 500, edges: 1000, parameters: 100, nameLength: 200, descriptionLength: 2000, valueLength: 10_000, versions: 100 } as const;

export const TemplateParameterSchema = z.object({
  name: z.string().regex(TEMPLATE_PARAMETER_NAME, "letters, digits, _ . - only"),
  default: z.string().max(TEMPLATE_LIMITS.valueLength).describe('Used when a use sets no value; always "" for a sensitive parameter.'),
  sensitive: z.boolean().describe("Never valued in the template: a use refers to the flow's sensitive parameter of this name."),
});

export const TemplateInputSchema = z.object({ node: IdSchema }).describe("A template node fed from outside the group.");
export const TemplateOutputSchema = z.object({ node: IdSchema, port: z.string().min(1) }).describe("A template node's output port wired to outside the group.");

/** What a template version holds (its id and version are the stored row's). */
export const TemplateBodySchema = z
  .object({
    name: z.string().trim().min(1, "a template needs a name").max(TEMPLATE_LIMITS.nameLength),
    description: z.string().max(TEMPLATE_LIMITS.descriptionLength).optional(),
    nodes: z.array(NodeSchema).min(1, "a template has at least one node").max(TEMPLATE_LIMITS.nodes),
    edges: z.array(EdgeSchema).max(TEMPLATE_LIMITS.edges),
    inputs: z.array(TemplateInputSchema).max(TEMPLATE_LIMITS.nodes),
    outputs: z.array(TemplateOutputSchema).max(TEMPLATE_LIMITS.edges),
    parameters: z.array(TemplateParameterSchema).max(TEMPLATE_LIMITS.parameters),
  })
  .superRefine((body, ctx) => {
    // placing copies ids and edges as they are: a repeated id or a dangling edge would make every use an invalid flow
    const nodeIds = new Set<string>();
    body.nodes.forEach((n, i) => {
      if (nodeIds.has(n.id)) ctx.addIssue({ code: "custom", path: ["nodes", i, "id"], message: `node id ${quote(n.id)} appears twice` });
      nodeIds.add(n.id);
    });
    const edgeIds = new Set<string>();
    body.edges.forEach((e, i) => {
      if (edgeIds.has(e.id)) ctx.addIssue({ code: "custom", path: ["edges", i, "id"], message: `edge id ${quote(e.id)} appears twice` });
      edgeIds.add(e.id);
      if (!nodeIds.has(e.from.node)) ctx.addIssue({ code: "custom", path: ["edges", i, "from", "node"], message: `node ${quote(e.from.node)} is not in the template` });
      if (!nodeIds.has(e.to.node)) ctx.addIssue({ code: "custom", path: ["edges", i, "to", "node"], message: `node ${quote(e.to.node)} is not in the template` });
    });
    for (const list of ["inputs", "outputs"] as const) {
      body[list].forEach((port, i) => {
        if (!nodeIds.has(port.node)) ctx.addIssue({ code: "custom", path: [list, i, "node"], message: `node ${quote(port.node)} is not in the template` });
      });
    }
  });

export type TemplateParameter = z.infer<typeof TemplateParameterSchema>;
export type TemplateBody = z.infer<typeof TemplateBodySchema>;
export interface GroupTemplate extends TemplateBody {
  id: string;
  version: number;
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateError";
  }
}

/** The group's nodes and those of the groups nested in it, in document order. */
function memberNodes(doc: FlowDocument, group: FlowGroup): FlowNode[] {
  const groups = doc.groups ?? [];
  const inside = new Set<string>([group.id]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const g of groups) {
      if (g.parent !== undefined && inside.has(g.parent) && !inside.has(g.id)) {
        inside.add(g.id);
        grew = true;
      }
    }
  }
  const ids = new Set(groups.filter((g) => inside.has(g.id)).flatMap((g) => g.nodes));
  return doc.nodes.filter((n) => ids.has(n.id));
}

function findGroup(doc: FlowDocument, groupId: string): FlowGroup {
  const group = doc.groups?.find((g) => g.id === groupId);
  if (!group) throw new TemplateError(`group ${quote(groupId)} does not exist`);
  return group;
}

/** The template node id a flow node of this group stands for. */
function templateNodeId(group: FlowGroup, nodeId: string): string {
  const prefix = `${group.id}.`;
  return group.template && nodeId.startsWith(prefix) ? nodeId.slice(prefix.length) : nodeId;
}

const placedId = (groupId: string, templateId: string) => `${groupId}.${templateId}`;

/**
 * A secret in plain text in a password field: text that is not only parameter references, or a
 * reference to a parameter that is not sensitive (its value would become the template's default).
 */
function plainSecrets(node: FlowNode, catalog: CatalogLike, plainParameters: ReadonlySet<string>): { path: PathSegment[]; parameter?: string }[] {
  const info = catalog.get(node.type);
  if (!info) return [];
  const fields = secretFields(info.configSchema, "hidden");
  if (!fields.length) return [];
  const found: { path: PathSegment[]; parameter?: string }[] = [];
  const walk = (v: unknown, path: PathSegment[]) => {
    if (typeof v === "string") {
      if (!inSecretField(path, fields)) return;
      let parameter: string | undefined;
      const text = replaceReferences(v, (name) => {
        if (plainParameters.has(name)) parameter ??= name;
        return "";
      });
      if (text.trim() !== "" || parameter !== undefined) found.push(parameter === undefined ? { path } : { path, parameter });
    } else if (Array.isArray(v)) v.forEach((item, i) => walk(item, [...path, i]));
    else if (typeof v === "object" && v !== null) for (const [k, item] of Object.entries(v)) walk(item, [...path, k]);
  };
  walk(node.config, []);
  return found;
}

/**
 * Strings of a use's config whose text is still what the previous version's reference produced
 * get the reference back, so a new version saved from a use keeps its parameters.
 */
function unsubstitute(current: unknown, previous: unknown, values: ReadonlyMap<string, string>): unknown {
  if (typeof previous === "string" && typeof current === "string") {
    return previous.includes("#{") && substituteValues(previous, values) === current ? previous : current;
  }
  if (Array.isArray(previous) && Array.isArray(current)) return current.map((item, i) => unsubstitute(item, previous[i], values));
  if (typeof previous === "object" && previous !== null && typeof current === "object" && current !== null && !Array.isArray(current)) {
    const before = previous as Record<string, unknown>;
    return Object.fromEntries(Object.entries(current).map(([k, v]) => [k, Object.hasOwn(before, k) ? unsubstitute(v, before[k], values) : v]));
  }
  return current;
}

export interface TemplateFromGroup {
  name: string;
  description?: string;
  /** the version this one follows when the group is a use of it (its references come back) */
  previous?: GroupTemplate;
}

/**
 * The body of a template made from a group: its nodes (nested groups' included) with positions
 * relative to the group's top-left node, the edges between them, the ports wired across its
 * boundary, and a parameter per `#{name}` referenced inside (default: the flow's value; "" and
 * sensitive when the flow's parameter is). Throws a TemplateError naming the node and field when
 * a password field (a key, a connection string) holds plain text: secrets never go into a template.
 */
export function templateFromGroup(doc: FlowDocument, groupId: string, catalog: CatalogLike, spec: TemplateFromGroup): TemplateBody {
  const group = findGroup(doc, groupId);
  const members = memberNodes(doc, group);
  if (!members.length) throw new TemplateError(`group ${quote(group.name)} has no nodes to save`);
  const previous = spec.previous && group.template?.id === spec.previous.id ? spec.previous : undefined;
  const useValues = previous ? parameterValues(previous, group.template?.values ?? {}) : new Map<string, string>();
  const previousConfig = new Map(previous?.nodes.map((n) => [n.id, n.config]) ?? []);
  const inside = new Set(members.map((n) => n.id));
  const origin = {
    x: Math.min(...members.map((n) => n.position.x)),
    y: Math.min(...members.map((n) => n.position.y)),
  };
  const refused: string[] = [];
  const plainParameters = new Set(doc.parameters.filter((p) => !p.sensitive && p.value !== "").map((p) => p.name));
  const nodes = members.map((n): FlowNode => {
    const id = templateNodeId(group, n.id);
    const before = previousConfig.get(id);
    const config = before ? (unsubstitute(n.config, before, useValues) as FlowNode["config"]) : n.config;
    const node = { ...n, id, config, position: { x: n.position.x - origin.x, y: n.position.y - origin.y } };
    for (const { path, parameter } of plainSecrets(node, catalog, plainParameters)) {
      refused.push(`${quote(n.name ?? n.id)} at ${formatPath(["config", ...path])}${parameter === undefined ? "" : ` (parameter ${quote(parameter)} is not sensitive)`}`);
    }
    return node;
  });
  if (refused.length) {
    throw new TemplateError(`a template never holds secrets: put these in a sensitive parameter (#{name}) first: ${refused.join("; ")}`);
  }
  const edges = doc.edges
    .filter((e) => inside.has(e.from.node) && inside.has(e.to.node))
    .map((e): FlowEdge => ({ ...e, from: { ...e.from, node: templateNodeId(group, e.from.node) }, to: { node: templateNodeId(group, e.to.node) } }));
  const inputs = unique(doc.edges.filter((e) => inside.has(e.to.node) && !inside.has(e.from.node)).map((e) => ({ node: templateNodeId(group, e.to.node) })));
  const outputs = unique(
    doc.edges.filter((e) => inside.has(e.from.node) && !inside.has(e.to.node)).map((e) => ({ node: templateNodeId(group, e.from.node), port: e.from.port })),
  );
  const body: TemplateBody = {
    name: spec.name.trim(),
    ...(spec.description?.trim() ? { description: spec.description.trim() } : {}),
    nodes,
    edges,
    inputs,
    outputs,
    parameters: templateParameters(nodes, doc.parameters, previous),
  };
  const checked = TemplateBodySchema.safeParse(body);
  if (!checked.success) throw new TemplateError(checked.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join("; "));
  return checked.data;
}

function unique<T>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = JSON.stringify(item);
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/** A parameter per name referenced in the nodes, first-seen order. */
function templateParameters(nodes: readonly FlowNode[], flowParameters: readonly FlowParameter[], previous: GroupTemplate | undefined): TemplateParameter[] {
  const names = [...new Set(nodes.flatMap((n) => findParameterReferences(n.config).map((r) => r.name)))];
  return names.map((name) => {
    const own = flowParameters.find((p) => p.name === name);
    const before = previous?.parameters.find((p) => p.name === name);
    const sensitive = own?.sensitive ?? before?.sensitive ?? false;
    return { name, default: sensitive ? "" : (own?.value ?? before?.default ?? ""), sensitive };
  });
}

/** The template's parameters found in a group (for the save dialog), without saving anything. */
export function parametersOfGroup(doc: FlowDocument, groupId: string): TemplateParameter[] {
  const group = findGroup(doc, groupId);
  return templateParameters(memberNodes(doc, group), doc.parameters, undefined);
}

/** Each non-sensitive parameter's value for a use: its own value, else the default. */
function parameterValues(template: GroupTemplate, values: Readonly<Record<string, string>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of template.parameters) if (!p.sensitive) out.set(p.name, Object.hasOwn(values, p.name) ? values[p.name]! : p.default);
  return out;
}

/** A substituted value is text: a `#{` inside it is written `##{` so it never reads as a reference. */
function substituteValues(text: string, values: ReadonlyMap<string, string>): string {
  return replaceReferences(text, (name) => values.get(name)?.replaceAll("#{", "##{"));
}

function substituteConfig(config: unknown, values: ReadonlyMap<string, string>): unknown {
  if (typeof config === "string") return substituteValues(config, values);
  if (Array.isArray(config)) return config.map((v) => substituteConfig(v, values));
  if (typeof config === "object" && config !== null) return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, substituteConfig(v, values)]));
  return config;
}

/** Values kept for a use: only the template's non-sensitive parameters (a secret is never copied). */
function useValues(template: GroupTemplate, values: Readonly<Record<string, string>>): Record<string, string> | undefined {
  const kept = template.parameters.filter((p) => !p.sensitive && Object.hasOwn(values, p.name)).map((p) => [p.name, values[p.name]!] as const);
  for (const [name, value] of kept) {
    if (value.length > TEMPLATE_LIMITS.valueLength) throw new TemplateError(`the value of parameter ${quote(name)} is longer than ${TEMPLATE_LIMITS.valueLength} characters`);
  }
  return kept.length ? Object.fromEntries(kept) : undefined;
}

/** The flow's parameters plus an empty sensitive one for each sensitive template parameter it lacks (the user fills it in). */
function withSensitiveParameters(parameters: readonly FlowParameter[], template: GroupTemplate): FlowParameter[] {
  const missing = template.parameters.filter((p) => p.sensitive && !parameters.some((q) => q.name === p.name));
  return missing.length ? [...parameters, ...missing.map((p) => ({ name: p.name, value: "", sensitive: true }))] : [...parameters];
}

function placedNode(node: FlowNode, groupId: string, origin: Position, values: ReadonlyMap<string, string>): FlowNode {
  return {
    ...node,
    id: placedId(groupId, node.id),
    config: substituteConfig(node.config, values) as FlowNode["config"],
    position: { x: origin.x + node.position.x, y: origin.y + node.position.y },
  };
}

function placedEdge(edge: FlowEdge, groupId: string): FlowEdge {
  return { ...edge, id: placedId(groupId, edge.id), from: { ...edge.from, node: placedId(groupId, edge.from.node) }, to: { node: placedId(groupId, edge.to.node) } };
}

export interface Placement {
  /** a fresh group id (newId("group")); node and edge ids derive from it */
  groupId: string;
  position: Position;
  /** values of the template's parameters; a missing one takes its default */
  values?: Readonly<Record<string, string>>;
  /** the open group to place it in */
  parent?: string;
}

/** The document with the template's nodes and edges added under a new group recording the use. */
export function placeTemplate(doc: FlowDocument, template: GroupTemplate, placement: Placement): FlowDocument {
  if (doc.groups?.some((g) => g.id === placement.groupId)) throw new TemplateError(`a group with id ${quote(placement.groupId)} already exists`);
  const taken = new Set(doc.nodes.map((n) => n.id));
  const values = useValues(template, placement.values ?? {});
  const resolved = parameterValues(template, values ?? {});
  const nodes = template.nodes.map((n) => placedNode(n, placement.groupId, placement.position, resolved));
  for (const n of nodes) if (taken.has(n.id)) throw new TemplateError(`node id ${quote(n.id)} is taken`);
  const edges = template.edges.map((e) => placedEdge(e, placement.groupId));
  const takenEdges = new Set(doc.edges.map((e) => e.id));
  for (const e of edges) if (takenEdges.has(e.id)) throw new TemplateError(`edge id ${quote(e.id)} is taken`);
  const use: GroupTemplateUse = { id: template.id, version: template.version, ...(values ? { values } : {}) };
  const group: FlowGroup = {
    id: placement.groupId,
    name: template.name,
    nodes: nodes.map((n) => n.id),
    ...(placement.parent !== undefined ? { parent: placement.parent } : {}),
    template: use,
  };
  return {
    ...doc,
    nodes: [...doc.nodes, ...nodes],
    edges: [...doc.edges, ...edges],
    parameters: withSensitiveParameters(doc.parameters, template),
    groups: [...(doc.groups ?? []), group],
  };
}

export interface DroppedEdge {
  edge: FlowEdge;
  reason: string;
}

export interface TemplateUpdate {
  doc: FlowDocument;
  /** edges from outside the group whose end the new version no longer has: gone from `doc`, listed so the user sees them */
  droppedEdges: DroppedEdge[];
  /** nodes of the group the new version has no counterpart for (removed from the template, or added by hand) */
  removedNodes: FlowNode[];
}

/**
 * Replaces a use's nodes by another version's: nodes the template keeps keep their id and place
 * (edges from outside stay wired), new ones are placed relative to the group, the rest go. An
 * outside edge whose node or output port the version no longer has is dropped and reported.
 * The use's values carry over for the parameters the version still has. With a catalogue, an
 * output port is checked against the node's ports in the new config (a route's names change
 * with it); without one, against the template's boundary ports when the node's type changed.
 */
export function updateTemplateUse(doc: FlowDocument, groupId: string, template: GroupTemplate, catalog?: CatalogLike): TemplateUpdate {
  const group = findGroup(doc, groupId);
  if (group.template?.id !== template.id) throw new TemplateError(`group ${quote(group.name)} is not a use of template ${quote(template.name)}`);
  // nodes regrouped inside the use are still its nodes: left out, the new version would add them a second time
  const members = new Map(memberNodes(doc, group).map((n) => [n.id, n]));
  const values = useValues(template, group.template.values ?? {});
  const resolved = parameterValues(template, values ?? {});
  const anchor = template.nodes.find((n) => members.has(placedId(groupId, n.id)));
  const origin = anchor
    ? { x: members.get(placedId(groupId, anchor.id))!.position.x - anchor.position.x, y: members.get(placedId(groupId, anchor.id))!.position.y - anchor.position.y }
    : {
        x: Math.min(...[...members.values()].map((n) => n.position.x), group.position?.x ?? Infinity) || 0,
        y: Math.min(...[...members.values()].map((n) => n.position.y), group.position?.y ?? Infinity) || 0,
      };
  const next = template.nodes.map((n) => {
    const placed = placedNode(n, groupId, origin, resolved);
    const kept = members.get(placed.id);
    return kept ? { ...placed, position: kept.position } : placed;
  });
  const nextById = new Map(next.map((n) => [n.id, n]));
  const outputs = new Set(template.outputs.map((o) => `${placedId(groupId, o.node)}\u0000${o.port}`));
  const removedNodes = [...members.values()].filter((n) => !nextById.has(n.id));
  const droppedEdges: DroppedEdge[] = [];
  const edges: FlowEdge[] = [];
  for (const e of doc.edges) {
    const fromInside = members.has(e.from.node), toInside = members.has(e.to.node);
    if (fromInside && toInside) continue; // internal: the version's own edges replace them
    if (toInside && !nextById.has(e.to.node)) {
      droppedEdges.push({ edge: e, reason: `its target ${quote(members.get(e.to.node)!.name ?? e.to.node)} is not in version ${template.version}` });
      continue;
    }
    if (fromInside) {
      const before = members.get(e.from.node)!, after = nextById.get(e.from.node);
      if (!after) {
        droppedEdges.push({ edge: e, reason: `its source ${quote(before.name ?? e.from.node)} is not in version ${template.version}` });
        continue;
      }
      if (!keepsPort(before, after, e.from.port, outputs, catalog)) {
        droppedEdges.push({ edge: e, reason: `output port ${quote(e.from.port)} of ${quote(after.name ?? after.id)} is not in version ${template.version}` });
        continue;
      }
    }
    edges.push(e);
  }
  const removed = new Set(removedNodes.map((n) => n.id));
  // a kept node stays in the group nested in the use that holds it; the use holds the others
  const inNested = new Set((doc.groups ?? []).flatMap((g) => (g.id !== groupId ? g.nodes.filter((id) => members.has(id) && !removed.has(id)) : [])));
  const nextIds = next.map((n) => n.id).filter((id) => !inNested.has(id));
  const use: GroupTemplateUse = { id: template.id, version: template.version, ...(values ? { values } : {}) };
  // The version's nodes take the place of the group's first node, so the document's order stays stable.
  const firstAt = doc.nodes.findIndex((n) => members.has(n.id));
  const nodes = firstAt < 0 ? [...doc.nodes, ...next] : doc.nodes.flatMap((n, i) => (!members.has(n.id) ? [n] : i === firstAt ? next : []));
  return {
    doc: {
      ...doc,
      nodes,
      edges: [...edges, ...template.edges.map((e) => placedEdge(e, groupId))],
      parameters: withSensitiveParameters(doc.parameters, template),
      groups: doc.groups!.map((g) =>
        g.id === groupId ? { ...g, nodes: nextIds, template: use } : g.nodes.some((id) => removed.has(id)) ? { ...g, nodes: g.nodes.filter((id) => !removed.has(id)) } : g,
      ),
    },
    droppedEdges,
    removedNodes,
  };
}

function keepsPort(before: FlowNode, after: FlowNode, port: string, outputs: ReadonlySet<string>, catalog: CatalogLike | undefined): boolean {
  let ports: string[] | undefined;
  try {
    ports = catalog?.get(after.type)?.outputPorts(after.config);
  } catch {
    ports = undefined; // a config not valid yet: validation reports it, the edge stays
  }
  if (ports) return ports.includes(port);
  return after.type === before.type || outputs.has(`${after.id}\u0000${port}`);
}

/** Groups of a flow placed from a template, with the version each uses. */
export function templateUses(doc: Pick<FlowDocument, "groups">): { groupId: string; templateId: string; version: number }[] {
  return (doc.groups ?? []).flatMap((g) => (g.template ? [{ groupId: g.id, templateId: g.template.id, version: g.template.version }] : []));
}
