/**
 * Compare mode: two documents of the open flow (saved versions, or the editor's) and what turns
 * the older into the newer. The canvas draws the newer one read-only, as a version preview,
 * with the removed nodes and edges added back as ghosts at their old places; each drawn element
 * carries its diff status. Leaving the preview (Esc, "Back to editing", another version) leaves
 * compare mode too: it is active only while the preview shows the document it drew.
 */
import { create } from "zustand";
import { diffFlows, type EdgeDiff, type FlowDiff, type FlowDocument, type NodeDiff } from "@millrace/flow";
import { catalog } from "../catalog/specs";
import { ui, useUiStore } from "./uiStore";

export interface CompareSide {
  /** "v3", "the editor" */
  label: string;
  doc: FlowDocument;
}

export interface Comparison {
  older: CompareSide;
  newer: CompareSide;
  diff: FlowDiff;
  /** the newer document plus the removed nodes and edges (what the canvas draws) */
  drawn: FlowDocument;
  nodes: ReadonlyMap<string, NodeDiff>;
  edges: ReadonlyMap<string, EdgeDiff>;
}

export const useCompareStore = create<{ comparison: Comparison | null }>(() => ({ comparison: null }));

/** The comparison the canvas shows now, or null. */
export function useComparison(): Comparison | null {
  const comparison = useCompareStore((s) => s.comparison);
  const shown = useUiStore((s) => s.preview?.doc);
  return comparison && shown === comparison.drawn ? comparison : null;
}

/** Builds what the canvas draws for `older` → `newer`. */
export function buildComparison(older: CompareSide, newer: CompareSide): Comparison {
  const diff = diffFlows(older.doc, { ...newer.doc, id: older.doc.id }, { catalog });
  const removedNodes = new Set(diff.nodes.filter((n) => n.status === "removed").map((n) => n.id));
  const removedEdges = new Set(diff.edges.filter((e) => e.status === "removed").map((e) => e.id));
  const drawn: FlowDocument = {
    ...newer.doc,
    nodes: [...newer.doc.nodes, ...older.doc.nodes.filter((n) => removedNodes.has(n.id))],
    edges: [...newer.doc.edges, ...older.doc.edges.filter((e) => removedEdges.has(e.id))],
  };
  return { older, newer, diff, drawn, nodes: new Map(diff.nodes.map((n) => [n.id, n])), edges: new Map(diff.edges.map((e) => [e.id, e])) };
}

/** Shows `older` → `newer` on the canvas (read-only); `version` is the newer one's, if saved. */
export function startCompare(older: CompareSide, newer: CompareSide, version: number) {
  const comparison = buildComparison(older, newer);
  useCompareStore.setState({ comparison });
  ui.flowTab("history");
  ui.preview({ version, doc: comparison.drawn });
}

export function stopCompare() {
  useCompareStore.setState({ comparison: null });
  ui.preview(null);
}
