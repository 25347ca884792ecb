/**
 * Live figures, apart from the flow document: a 1/s update here never re-renders the
 * graph nor touches undo history. Node components subscribe to their own entry only.
 */
import { create } from "zustand";
import type { EdgeStats, LiveStats, NodeStats } from "../api/types";

interface StatsState {
  flowId: string | null;
  at: number | string | null;
  nodes: Record<string, NodeStats>;
  edges: Record<string, EdgeStats>;
}

export const useStatsStore = create<StatsState>(() => ({ flowId: null, at: null, nodes: {}, edges: {} }));

export const statsActions = {
  push(flowId: string, s: LiveStats) {
    useStatsStore.setState({ flowId, at: s.at, nodes: s.nodes ?? {}, edges: s.edges ?? {} });
  },
  clear() {
    useStatsStore.setState({ flowId: null, at: null, nodes: {}, edges: {} });
  },
};
