/**
 * What turns one flow document into another: nodes and edges added, removed or changed (each
 * change a field path with its old and new value), parameters, flow-level fields, and which
 * nodes only moved. The designer's history and compare view and `millrace flow diff` read it.
 *
 * Never a secret in the output: a config field its processor marks secret-capable shows only
 * that it changed, a value shown whole (an object added, an array that grew) shows SECRET_HIDDEN
 * in place of the secret-capable fields inside it, and sensitive parameters are compared by presence (their values are blank
 * wherever documents are read, so a value compared would be a blank compared).
 */
import type { FlowDocument, FlowEdge, FlowNode, FlowParameter } from "./document.js";
import type { CatalogLike } from "./catalog-types.js";
import { formatPath, truncate, type PathSegment } from "./errors.js";
import { inSecretField, secretFields, type SecretFieldPattern } from "./secret-fields.js";

export type DiffStatus = "added" | "removed" | "changed";

/** One field that differs: `from` absent when it was added, `to` absent when it was removed. */
export interface FieldChange {
  /** e.g. "config.window.size", "name", "settings.mode" */
  path: string;
  kind: DiffStatus;
  from?: unknown;
  to?: unknown;
  /** a secret-capable field: it changed, its values are not given */
  secret?: true;
}

export interface NodeDiff {
  id: string;
  status: DiffStatus;
  type: string;
  name?: string;
  /** the fields that differ (a changed node only) */
  changes: FieldChange[];
}

export interface EdgeDiff {
  id: string;
  status: DiffStatus;
  from: FlowEdge["from"];
  to: FlowEdge["to"];
  changes: FieldChange[];
}

export interface ParameterDiff {
  name: string;
  status: DiffStatus;
  changes: FieldChange[];
}

export interface FlowDiff {
  /** the newer document's order, then the removed nodes in the older one's */
  nodes: NodeDiff[];
  edges: EdgeDiff[];
  parameters: ParameterDiff[];
  /** flow-level fields: name, description, settings and anything else beside nodes, edges and parameters */
  flow: FieldChange[];
  /** nodes kept whose position alone may differ (a layout change, not a behaviour change) */
  nodesMoved: string[];
}

export interface DiffOptions {
  /** Where the processor types' secret-capable fields are read; without it no config field is treated as secret. */
  catalog?: CatalogLike;
}

const NO_SECRETS = () => false;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!sameValue(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/** What a value shown whole has in place of a secret-capable field inside it. */
export const SECRET_HIDDEN = "(secret)";

/**
 * `value` with each part at a secret-capable path (below `path`) replaced by SECRET_HIDDEN:
 * `value` itself when it holds none, else a copy of the containers on the way to them.
 */
function withoutSecrets(value: unknown, path: PathSegment[], isSecret: (path: PathSegment[]) => boolean): unknown {
  if (isSecret(path)) return SECRET_HIDDEN;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const kept = withoutSecrets(item, [...path, i], isSecret);
      if (kept !== item) (copy ??= [...value])[i] = kept;
    });
    return copy ?? value;
  }
  if (isPlainObject(value)) {
    let copy: Record<string, unknown> | undefined;
    for (const [k, item] of Object.entries(value)) {
      const kept = withoutSecrets(item, [...path, k], isSecret);
      if (kept !== item) (copy ??= { ...value })[k] = kept;
    }
    return copy ?? value;
  }
  return value;
}

/**
 * Field-by-field differences between two values: objects are walked key by key and arrays of
 * the same length index by index, so a change is named where it happened; anything else (an
 * array that grew or shrank, a value that changed its kind) is one change of the whole.
 */
function fieldChanges(a: unknown, b: unknown, path: PathSegment[], out: FieldChange[], isSecret: (path: PathSegment[]) => boolean): void {
  if (sameValue(a, b)) return;
  if (isSecret(path)) {
    out.push({ path: formatPath(path), kind: a === undefined ? "added" : b === undefined ? "removed" : "changed", secret: true });
    return;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...Object.keys(a), ...Object.keys(b).filter((k) => !(k in a))];
    for (const k of keys) fieldChanges(a[k], b[k], [...path, k], out, isSecret);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => fieldChanges(x, b[i], [...path, i], out, isSecret));
    return;
  }
  // a secret-capable field may lie inside a value shown whole
  const from = isSecret === NO_SECRETS ? a : withoutSecrets(a, path, isSecret);
  const to = isSecret === NO_SECRETS ? b : withoutSecrets(b, path, isSecret);
  if (a === undefined) out.push({ path: formatPath(path), kind: "added", to });
  else if (b === undefined) out.push({ path: formatPath(path), kind: "removed", from });
  else out.push({ path: formatPath(path), kind: "changed", from, to });
}

function secretTest(type: string, catalog: CatalogLike | undefined): (path: PathSegment[]) => boolean {
  let fields: SecretFieldPattern[] = [];
  try {
    const info = catalog?.get(type);
    if (info) fields = secretFields(info.configSchema);
  } catch {
    fields = [];
  }
  if (!fields.length) return NO_SECRETS;
  // node paths start with "config"; the patterns are relative to the config
  return (path) => path[0] === "config" && path.length > 1 && inSecretField(path.slice(1), fields);
}

function nodeChanges(a: FlowNode, b: FlowNode, catalog: CatalogLike | undefined): FieldChange[] {
  const out: FieldChange[] = [];
  const { id: _a, position: _pa, ...restA } = a;
  const { id: _b, position: _pb, ...restB } = b;
  // a type change makes its old config mean something else: mark by the newer type's secrets and the older's
  const newer = secretTest(b.type, catalog);
  const older = a.type === b.type ? newer : secretTest(a.type, catalog);
  fieldChanges(restA, restB, [], out, older === newer ? newer : (p) => newer(p) || older(p));
  return out;
}

function edgeChanges(a: FlowEdge, b: FlowEdge): FieldChange[] {
  const out: FieldChange[] = [];
  const { id: _a, ...restA } = a;
  const { id: _b, ...restB } = b;
  fieldChanges(restA, restB, [], out, NO_SECRETS);
  return out;
}

function parameterChanges(a: FlowParameter, b: FlowParameter): FieldChange[] {
  const out: FieldChange[] = [];
  if (Boolean(a.sensitive) !== Boolean(b.sensitive)) out.push({ path: "sensitive", kind: "changed", from: Boolean(a.sensitive), to: Boolean(b.sensitive) });
  // a sensitive value is blank wherever a document is read (a typed one in the editor is not stored
  // until sent): there is nothing to compare
  if (!a.sensitive && !b.sensitive && a.value !== b.value) out.push({ path: "value", kind: "changed", from: a.value, to: b.value });
  return out;
}

function flowChanges(a: FlowDocument, b: FlowDocument): FieldChange[] {
  const out: FieldChange[] = [];
  const { id: _ia, schemaVersion: _sa, nodes: _na, edges: _ea, parameters: _pa, ...restA } = a;
  const { id: _ib, schemaVersion: _sb, nodes: _nb, edges: _eb, parameters: _pb, ...restB } = b;
  fieldChanges(restA, restB, [], out, NO_SECRETS);
  return out;
}

function byKey<T>(items: readonly T[], key: (t: T) => string): Map<string, T> {
  return new Map(items.map((t) => [key(t), t]));
}

/** What turning `from` into `to` changes. */
export function diffFlows(from: FlowDocument, to: FlowDocument, options: DiffOptions = {}): FlowDiff {
  const { catalog } = options;
  const fromNodes = byKey(from.nodes, (n) => n.id);
  const toNodes = byKey(to.nodes, (n) => n.id);
  const nodes: NodeDiff[] = [];
  const nodesMoved: string[] = [];
  for (const n of to.nodes) {
    const o = fromNodes.get(n.id);
    const about = { id: n.id, type: n.type, ...(n.name ? { name: n.name } : {}) };
    if (!o) {
      nodes.push({ ...about, status: "added", changes: [] });
      continue;
    }
    const changes = nodeChanges(o, n, catalog);
    if (changes.length) nodes.push({ ...about, status: "changed", changes });
    if (o.position.x !== n.position.x || o.position.y !== n.position.y) nodesMoved.push(n.id);
  }
  for (const o of from.nodes) if (!toNodes.has(o.id)) nodes.push({ id: o.id, type: o.type, ...(o.name ? { name: o.name } : {}), status: "removed", changes: [] });

  const fromEdges = byKey(from.edges, (e) => e.id);
  const toEdges = byKey(to.edges, (e) => e.id);
  const edges: EdgeDiff[] = [];
  for (const e of to.edges) {
    const o = fromEdges.get(e.id);
    if (!o) edges.push({ id: e.id, status: "added", from: e.from, to: e.to, changes: [] });
    else {
      const changes = edgeChanges(o, e);
      if (changes.length) edges.push({ id: e.id, status: "changed", from: e.from, to: e.to, changes });
    }
  }
  for (const o of from.edges) if (!toEdges.has(o.id)) edges.push({ id: o.id, status: "removed", from: o.from, to: o.to, changes: [] });

  const fromParams = byKey(from.parameters, (p) => p.name);
  const toParams = byKey(to.parameters, (p) => p.name);
  const parameters: ParameterDiff[] = [];
  for (const p of to.parameters) {
    const o = fromParams.get(p.name);
    if (!o) parameters.push({ name: p.name, status: "added", changes: [] });
    else {
      const changes = parameterChanges(o, p);
      if (changes.length) parameters.push({ name: p.name, status: "changed", changes });
    }
  }
  for (const o of from.parameters) if (!toParams.has(o.name)) parameters.push({ name: o.name, status: "removed", changes: [] });

  return { nodes, edges, parameters, flow: flowChanges(from, to), nodesMoved };
}

/** True when the two documents behave the same: positions, groups, the flow's name and description apart. */
export function isBehaviourEqual(d: FlowDiff): boolean {
  return !d.nodes.length && !d.edges.length && !d.parameters.length && d.flow.every((c) => c.path === "name" || c.path === "description" || c.path === "groups" || c.path.startsWith("groups["));
}

/** True when nothing at all differs, positions included. */
export function isEmptyDiff(d: FlowDiff): boolean {
  return !d.nodes.length && !d.edges.length && !d.parameters.length && !d.flow.length && !d.nodesMoved.length;
}

/** The parts of a node a change touched ("config", "name", "settings", "type"), in first-seen order. */
export function changedParts(changes: readonly FieldChange[]): string[] {
  return [...new Set(changes.map((c) => (c.path === "typeVersion" ? "type" : c.path.split(/[.[]/, 1)[0]!)))];
}

/** A value as one short line: JSON, cut when long; absent as "(none)", a secret as "(changed)". */
export function formatDiffValue(v: unknown): string {
  if (v === undefined) return "(none)";
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return truncate(text.replace(/\s*\n\s*/g, " "), 120);
}

/** "config.window.size: 10 → 20", "config.password: (changed)", "name: (none) → \"Orders\"". */
export function formatFieldChange(c: FieldChange): string {
  if (c.secret) return `${c.path}: (${c.kind === "changed" ? "changed" : c.kind})`;
  return `${c.path}: ${formatDiffValue(c.from)} → ${formatDiffValue(c.to)}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const MARK: Record<DiffStatus, string> = { added: "+", removed: "-", changed: "~" };

/** Short lines ("2 nodes added: map-1, log-2") for a summary; empty when nothing differs. */
export function describeDiff(d: FlowDiff): string[] {
  const out: string[] = [];
  const ids = (xs: string[]) => (xs.length > 4 ? `${xs.slice(0, 4).join(", ")} +${xs.length - 4}` : xs.join(", "));
  const nodesWith = (s: DiffStatus) => d.nodes.filter((n) => n.status === s);
  const added = nodesWith("added");
  const removed = nodesWith("removed");
  const changed = nodesWith("changed");
  if (added.length) out.push(`${plural(added.length, "node")} added: ${ids(added.map((n) => n.id))}`);
  if (removed.length) out.push(`${plural(removed.length, "node")} removed: ${ids(removed.map((n) => n.id))}`);
  if (changed.length) out.push(`${plural(changed.length, "node")} changed: ${ids(changed.map((n) => `${n.id} (${changedParts(n.changes).join(", ")})`))}`);
  const edgeParts = (["added", "removed", "changed"] as const).map((s) => [s, d.edges.filter((e) => e.status === s).length] as const).filter(([, n]) => n > 0);
  if (edgeParts.length) out.push(`connections: ${edgeParts.map(([s, n]) => `${n} ${s}`).join(", ")}`);
  if (d.parameters.length) out.push(`parameters: ${ids(d.parameters.map((p) => p.name))}`);
  const flowParts = changedParts(d.flow);
  if (flowParts.includes("settings")) out.push("flow settings");
  if (flowParts.includes("name")) out.push("flow name");
  if (flowParts.includes("description")) out.push("description");
  for (const part of flowParts) if (part !== "settings" && part !== "name" && part !== "description") out.push(`flow ${part}`);
  if (!out.length && d.nodesMoved.length) out.push(`layout only (${plural(d.nodesMoved.length, "node")} moved)`);
  return out;
}

/**
 * The whole diff as text a person reads: one line per added (+), removed (-) or changed (~)
 * node, edge and parameter, a changed one's fields under it (old → new). "no differences"
 * when there are none.
 */
export function formatDiff(d: FlowDiff): string {
  const lines: string[] = [];
  const fields = (changes: readonly FieldChange[]) => {
    for (const c of changes) lines.push(`      ${formatFieldChange(c)}`);
  };
  if (d.nodes.length) {
    lines.push("nodes");
    for (const n of d.nodes) {
      lines.push(`  ${MARK[n.status]} ${n.id} (${n.type}${n.name ? ` "${n.name}"` : ""})`);
      fields(n.changes);
    }
  }
  if (d.edges.length) {
    lines.push("edges");
    for (const e of d.edges) {
      lines.push(`  ${MARK[e.status]} ${e.from.node}.${e.from.port} → ${e.to.node}${e.id === `${e.from.node}.${e.from.port}->${e.to.node}` ? "" : ` (${e.id})`}`);
      fields(e.changes);
    }
  }
  if (d.parameters.length) {
    lines.push("parameters");
    for (const p of d.parameters) {
      lines.push(`  ${MARK[p.status]} ${p.name}`);
      fields(p.changes);
    }
  }
  if (d.flow.length) {
    lines.push("flow");
    for (const c of d.flow) lines.push(`  ~ ${formatFieldChange(c)}`);
  }
  if (d.nodesMoved.length) lines.push(`layout: ${plural(d.nodesMoved.length, "node")} moved${lines.length ? "" : " (nothing else differs)"}`);
  return lines.length ? lines.join("\n") : "no differences";
}
