/** Small UI state: toasts, dialogs, overlays. */
import { create } from "zustand";
import type { FlowDocument } from "@millrace/flow";

export interface Toast {
  id: number;
  kind: "info" | "success" | "error";
  text: string;
  /** what it is about ("import"): a later attempt at the same thing takes it away */
  topic?: string;
}

interface UiState {
  toasts: Toast[];
  helpOpen: boolean;
  importOpen: boolean;
  snapToGrid: boolean;
  /** the minimap: off by default on narrow screens (at 1280 px the canvas is ~680 px wide) */
  minimap: boolean;
  /** a save refused because someone saved a newer version */
  conflict: { latest?: number; message: string } | null;
  /** the right panel's Flow section: details, version history or test cases */
  flowTab: "details" | "history" | "tests";
  /** an earlier version shown read-only on the canvas (the editor's document is untouched) */
  preview: { version: number; doc: FlowDocument } | null;
  /** the small "save with a message" prompt under the Save button */
  saveMessageOpen: boolean;
}

export const useUiStore = create<UiState>(() => ({
  toasts: [],
  helpOpen: false,
  importOpen: false,
  snapToGrid: true,
  minimap: initialMinimap(),
  conflict: null,
  flowTab: "details",
  preview: null,
  saveMessageOpen: false,
}));

function initialMinimap(): boolean {
  try {
    const v = localStorage.getItem("millrace.minimap");
    if (v === "on" || v === "off") return v === "on";
  } catch {
    /* no storage */
  }
  return typeof window === "undefined" || window.innerWidth >= 1440;
}

let nextId = 1;
export const ui = {
  toast(text: string, kind: Toast["kind"] = "info", ms = 4000, topic?: string) {
    const id = nextId++;
    // a newer success/info toast replaces the older one of its kind (errors stack: each may matter)
    useUiStore.setState((s) => ({ toasts: [...s.toasts.filter((t) => kind === "error" || t.kind !== kind).slice(-3), { id, kind, text, ...(topic ? { topic } : {}) }] }));
    setTimeout(() => ui.dismiss(id), ms);
  },
  /** Takes away the toasts about `topic`: what they said no longer holds. */
  dismissTopic(topic: string) {
    useUiStore.setState((s) => (s.toasts.some((t) => t.topic === topic) ? { toasts: s.toasts.filter((t) => t.topic !== topic) } : s));
  },
  dismiss(id: number) {
    useUiStore.setState((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
  },
  help(open: boolean) {
    useUiStore.setState({ helpOpen: open });
  },
  importDialog(open: boolean) {
    useUiStore.setState({ importOpen: open });
  },
  toggleSnap() {
    useUiStore.setState((s) => ({ snapToGrid: !s.snapToGrid }));
  },
  toggleMinimap() {
    const on = !useUiStore.getState().minimap;
    useUiStore.setState({ minimap: on });
    try {
      localStorage.setItem("millrace.minimap", on ? "on" : "off");
    } catch {
      /* no storage */
    }
  },
  conflict(c: UiState["conflict"]) {
    useUiStore.setState({ conflict: c });
  },
  flowTab(tab: UiState["flowTab"]) {
    useUiStore.setState(tab === "details" ? { flowTab: tab, preview: null } : { flowTab: tab });
  },
  saveMessage(open: boolean) {
    useUiStore.setState({ saveMessageOpen: open });
  },
  preview(p: UiState["preview"]) {
    useUiStore.setState({ preview: p });
  },
};

/** "…saved elsewhere as version 7 after version 5…" → 7 */
export function latestFromConflict(message: string): number | undefined {
  const m = /(?:saved elsewhere as|latest(?: is)?) version (\d+)/i.exec(message) ?? /version (\d+)/i.exec(message);
  return m ? Number(m[1]) : undefined;
}
