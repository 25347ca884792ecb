/**
 * What the canvas shows of process groups that is not part of the document (so not undone):
 * the group opened (breadcrumbs lead back out) and the groups selected on the canvas.
 */
import { create } from "zustand";
import { useFlowStore } from "../store/flowStore";

export interface GroupUiState {
  /** the group whose inside is shown; undefined: the whole flow */
  open?: string;
  selected: string[];
}

export const useGroupStore = create<GroupUiState>(() => ({ selected: [] }));

const NONE: string[] = [];

export const groupUi = {
  open(groupId: string | undefined) {
    useGroupStore.setState({ open: groupId, selected: NONE });
  },
  select(groupIds: string[]) {
    const cur = useGroupStore.getState().selected;
    if (cur.length === groupIds.length && cur.every((id, i) => id === groupIds[i])) return;
    useGroupStore.setState({ selected: groupIds.length ? groupIds : NONE });
  },
};

// another flow loaded: its groups are not the ones opened or selected
useFlowStore.subscribe((s, prev) => {
  if (s.loadSeq !== prev.loadSeq) useGroupStore.setState({ open: undefined, selected: NONE });
});
