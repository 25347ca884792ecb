/**
 * The lineage view's state, apart from the document: which record's lineage is open, and the
 * nodes/edges of the open flow that lie on its path (highlighted on the canvas). Node and edge
 * components subscribe to one boolean each, so opening a lineage re-renders only those on it.
 */
import { create } from "zustand";
import type { LineageGraph, ReplayResult } from "../api/types";

interface LineageState {
  /** the record whose lineage is shown (null: the drawer is closed) */
  recordId: string | null;
  /** bumps on every open, also of the same id (restarts the polling window) */
  openSeq: number;
  /** nodes of the open flow on the path */
  nodes: ReadonlySet<string>;
  /** "from|to" node pairs linked on the path (an edge between them is highlighted) */
  pairs: ReadonlySet<string>;
  /** a node hovered in the lineage drawer (emphasised on the canvas) */
  hover: string | null;
  lastReplay: ReplayResult | null;
}

const EMPTY: ReadonlySet<string> = new Set();

export const useLineageStore = create<LineageState>(() => ({ recordId: null, openSeq: 0, nodes: EMPTY, pairs: EMPTY, hover: null, lastReplay: null }));

/** Accepts an id as people paste it: with quotes, a trailing comma, or a whole `"mr.id": "…"` line. */
export function cleanRecordId(text: string): string {
  let s = text.trim();
  const m = /"?mr\.id"?\s*:\s*"?([^",}\s]+)"?/.exec(s);
  if (m) s = m[1]!;
  return s.replace(/^["'`]+|["'`,;]+$/g, "").trim();
}

export const lineageActions = {
  open(recordId: string) {
    const id = cleanRecordId(recordId);
    if (!id) return;
    useLineageStore.setState((s) => ({ recordId: id, openSeq: s.openSeq + 1, nodes: EMPTY, pairs: EMPTY, hover: null, lastReplay: s.recordId === id ? s.lastReplay : null }));
  },
  close() {
    useLineageStore.setState({ recordId: null, nodes: EMPTY, pairs: EMPTY, hover: null, lastReplay: null });
  },
  /**
   * Marks the nodes and node pairs of `flowId` that the lineage passes through; `toDocNode` maps a
   * plan's node id to the document's node it stands for (a planner's hidden step to the node it feeds).
   */
  highlight(graph: LineageGraph | null, flowId: string, toDocNode: (id: string) => string = (id) => id) {
    const nodes = new Set<string>();
    const pairs = new Set<string>();
    if (graph) {
      const byId = new Map(graph.nodes.map((e) => [e.id, e]));
      for (const e of graph.nodes) if (e.flowId === flowId) nodes.add(toDocNode(e.nodeId));
      for (const l of graph.links) {
        const a = byId.get(l.from);
        const b = byId.get(l.to);
        if (!a || !b || a.flowId !== flowId || b.flowId !== flowId) continue;
        const from = toDocNode(a.nodeId);
        const to = toDocNode(b.nodeId);
        if (from !== to) pairs.add(`${from}|${to}`);
      }
    }
    const cur = useLineageStore.getState();
    if (sameSet(cur.nodes, nodes) && sameSet(cur.pairs, pairs)) return;
    useLineageStore.setState({ nodes: nodes.size ? nodes : EMPTY, pairs: pairs.size ? pairs : EMPTY });
  },
  hover(nodeId: string | null) {
    if (useLineageStore.getState().hover !== nodeId) useLineageStore.setState({ hover: nodeId });
  },
  replayed(r: ReplayResult) {
    useLineageStore.setState({ lastReplay: r });
  },
};

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>) {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

export const useOnLineage = (nodeId: string) => useLineageStore((s) => s.nodes.has(nodeId));
export const useLineageHover = (nodeId: string) => useLineageStore((s) => s.hover === nodeId);
export const useEdgeOnLineage = (source: string, target: string) => useLineageStore((s) => s.pairs.has(`${source}|${target}`));
