/**
 * What differs between two flow documents, in words a person reads in a second:
 * nodes added/removed/changed (and what about them), edges added/removed/changed,
 * parameters, flow settings, name/description, and whether only the layout moved.
 */
import type { FlowDocument, FlowNode } from "@millrace/flow";

export interface DocDiff {
  nodesAdded: string[];
  nodesRemoved: string[];
  /** node id → what changed ("config", "name", "settings", "type") */
  nodesChanged: Record<string, string[]>;
  nodesMoved: string[];
  edgesAdded: string[];
  edgesRemoved: string[];
  edgesChanged: string[];
  parametersChanged: string[];
  /** the flow-level settings (e.g. the default edge mode) */
  settingsChanged: boolean;
  renamed: boolean;
  describedDifferently: boolean;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function nodeChanges(a: FlowNode, b: FlowNode): string[] {
  const out: string[] = [];
  if (a.type !== b.type || a.typeVersion !== b.typeVersion) out.push("type");
  if ((a.name ?? "") !== (b.name ?? "")) out.push("name");
  if (!same(a.config, b.config)) out.push("config");
  if (!same(a.settings, b.settings)) out.push("settings");
  return out;
}

/** What turning `from` into `to` changes. */
export function diffDocs(from: FlowDocument, to: FlowDocument): DocDiff {
  const fromNodes = new Map(from.nodes.map((n) => [n.id, n]));
  const toNodes = new Map(to.nodes.map((n) => [n.id, n]));
  const nodesChanged: Record<string, string[]> = {};
  const nodesMoved: string[] = [];
  for (const n of to.nodes) {
    const o = fromNodes.get(n.id);
    if (!o) continue;
    const c = nodeChanges(o, n);
    if (c.length) nodesChanged[n.id] = c;
    if (o.position.x !== n.position.x || o.position.y !== n.position.y) nodesMoved.push(n.id);
  }
  const fromEdges = new Map(from.edges.map((e) => [e.id, e]));
  const toEdges = new Map(to.edges.map((e) => [e.id, e]));
  const fromParams = new Map(from.parameters.map((p) => [p.name, p]));
  const toParams = new Map(to.parameters.map((p) => [p.name, p]));
  const paramNames = [...new Set([...fromParams.keys(), ...toParams.keys()])];
  return {
    nodesAdded: to.nodes.filter((n) => !fromNodes.has(n.id)).map((n) => n.id),
    nodesRemoved: from.nodes.filter((n) => !toNodes.has(n.id)).map((n) => n.id),
    nodesChanged,
    nodesMoved,
    edgesAdded: to.edges.filter((e) => !fromEdges.has(e.id)).map((e) => e.id),
    edgesRemoved: from.edges.filter((e) => !toEdges.has(e.id)).map((e) => e.id),
    edgesChanged: to.edges.filter((e) => fromEdges.has(e.id) && !same(fromEdges.get(e.id), e)).map((e) => e.id),
    // sensitive values are never in the browser: compare them by presence only
    parametersChanged: paramNames.filter((name) => {
      const a = fromParams.get(name);
      const b = toParams.get(name);
      if (!a || !b) return true;
      return a.sensitive !== b.sensitive || (!a.sensitive && a.value !== b.value);
    }),
    settingsChanged: !same(from.settings, to.settings),
    renamed: from.name !== to.name,
    describedDifferently: (from.description ?? "") !== (to.description ?? ""),
  };
}

/** True when the two documents behave the same (positions apart). */
export function isBehaviourEqual(d: DocDiff): boolean {
  return (
    !d.nodesAdded.length &&
    !d.nodesRemoved.length &&
    !Object.keys(d.nodesChanged).length &&
    !d.edgesAdded.length &&
    !d.edgesRemoved.length &&
    !d.edgesChanged.length &&
    !d.parametersChanged.length &&
    !d.settingsChanged
  );
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** Short lines ("2 nodes added: map-1, log-2") for the history view; empty when nothing differs. */
export function describeDiff(d: DocDiff): string[] {
  const out: string[] = [];
  const ids = (xs: string[]) => (xs.length > 4 ? `${xs.slice(0, 4).join(", ")} +${xs.length - 4}` : xs.join(", "));
  if (d.nodesAdded.length) out.push(`${plural(d.nodesAdded.length, "node")} added: ${ids(d.nodesAdded)}`);
  if (d.nodesRemoved.length) out.push(`${plural(d.nodesRemoved.length, "node")} removed: ${ids(d.nodesRemoved)}`);
  const changed = Object.entries(d.nodesChanged);
  if (changed.length) out.push(`${plural(changed.length, "node")} changed: ${ids(changed.map(([id, what]) => `${id} (${what.join(", ")})`))}`);
  const edgeParts = [
    d.edgesAdded.length ? `${d.edgesAdded.length} added` : "",
    d.edgesRemoved.length ? `${d.edgesRemoved.length} removed` : "",
    d.edgesChanged.length ? `${d.edgesChanged.length} changed` : "",
  ].filter(Boolean);
  if (edgeParts.length) out.push(`connections: ${edgeParts.join(", ")}`);
  if (d.parametersChanged.length) out.push(`parameters: ${ids(d.parametersChanged)}`);
  if (d.settingsChanged) out.push("flow settings");
  if (d.renamed) out.push("flow name");
  if (d.describedDifferently) out.push("description");
  if (!out.length && d.nodesMoved.length) out.push(`layout only (${plural(d.nodesMoved.length, "node")} moved)`);
  return out;
}
