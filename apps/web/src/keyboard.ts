/** Global keyboard shortcuts of the designer (see SHORTCUTS in components/Overlays). */
import { useEffect } from "react";
import { useReactFlow } from "@xyflow/react";
import { flowActions, useFlowStore } from "./store/flowStore";
import { ui, useUiStore } from "./store/uiStore";
import { lineageActions, useLineageStore } from "./store/lineageStore";
import { saveFlow } from "./session";
import { runAutoLayout } from "./components/CanvasToolbar";

export function isEditable(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  if (!el || !el.tagName) return false;
  if (el.isContentEditable) return true;
  const tag = el.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag === "INPUT") {
    const type = (el as HTMLInputElement).type;
    return !["checkbox", "radio", "button", "submit", "range", "color", "file"].includes(type);
  }
  return false;
}

/** Fields whose edits are document edits: Ctrl+Z there is the designer's undo, not the field's. */
function isDocumentField(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return !!el?.closest?.(".mr-right, .mr-flow-title");
}

export function useKeyboard() {
  const { fitView } = useReactFlow();
  useEffect(() => {
    let pendingPaste: ReturnType<typeof setTimeout> | null = null;

    const onPaste = (e: ClipboardEvent) => {
      if (isEditable(e.target) || useUiStore.getState().preview) return;
      if (pendingPaste) {
        clearTimeout(pendingPaste);
        pendingPaste = null;
      }
      e.preventDefault();
      flowActions.paste(e.clipboardData?.getData("text/plain"));
    };

    const onKey = (e: KeyboardEvent) => {
      const modal = useUiStore.getState();
      if (e.key === "Escape") {
        if (modal.saveMessageOpen) ui.saveMessage(false);
        else if (modal.helpOpen) ui.help(false);
        else if (modal.importOpen) ui.importDialog(false);
        else if (modal.preview && !isEditable(e.target)) ui.preview(null);
        else if (!isEditable(e.target) && useLineageStore.getState().recordId) lineageActions.close();
        else if (!isEditable(e.target)) flowActions.select({ nodes: [], edges: [] });
        else (e.target as HTMLElement).blur?.();
        return;
      }
      const mod = e.ctrlKey || e.metaKey;
      if (mod && !e.altKey && isDocumentField(e.target) && !modal.helpOpen && !modal.importOpen && !modal.preview) {
        const key = e.key.toLowerCase();
        if (key === "z" || key === "y") {
          e.preventDefault();
          if (key === "z" && !e.shiftKey) flowActions.undo();
          else flowActions.redo();
          return;
        }
      }
      // Ctrl+S saves from anywhere, even while typing in a field; Ctrl+Shift+S asks for a message first
      if (mod && !e.altKey && e.key.toLowerCase() === "s") {
        e.preventDefault();
        if (e.shiftKey) ui.saveMessage(true);
        else void saveFlow();
        return;
      }
      if (isEditable(e.target) || modal.helpOpen || modal.importOpen) return;
      const k = e.key.toLowerCase();
      // an earlier version shown read-only: look around, copy, but change nothing
      if (modal.preview && (mod ? k !== "c" : !["f", "?", "g", "m"].includes(k) && e.key !== "?")) return;
      if (mod && !e.altKey) {
        if (k === "z" && !e.shiftKey) flowActions.undo();
        else if ((k === "z" && e.shiftKey) || k === "y") flowActions.redo();
        else if (k === "c") {
          if (!flowActions.copy()) return;
        } else if (k === "x") {
          if (!flowActions.cut()) return;
        } else if (k === "v") {
          // a native paste event usually follows with the system clipboard; if none does
          // (no permission, headless), paste from our local copy
          if (pendingPaste) clearTimeout(pendingPaste);
          pendingPaste = setTimeout(() => {
            pendingPaste = null;
            flowActions.paste(null);
          }, 60);
          return; // keep the default so the paste event fires
        } else if (k === "d") {
          if (flowActions.copy()) flowActions.paste(null);
        } else if (k === "a") flowActions.selectAll();
        else return;
        e.preventDefault();
        return;
      }
      if (e.altKey) return;
      if (e.key === "Delete" || e.key === "Backspace") {
        const s = useFlowStore.getState().selection;
        if (s.nodes.length || s.edges.length) {
          e.preventDefault();
          flowActions.deleteSelection();
        }
      } else if (e.key === "?") {
        ui.help(!modal.helpOpen);
      } else if (k === "f") {
        fitView({ padding: 0.12, duration: 200, maxZoom: 1 });
      } else if (k === "l") {
        void runAutoLayout(() => fitView({ padding: 0.12, duration: 200, maxZoom: 1 }));
      } else if (k === "g") {
        ui.toggleSnap();
      } else if (k === "m") {
        ui.toggleMinimap();
      }
    };
    window.addEventListener("keydown", onKey);
    document.addEventListener("paste", onPaste);
    return () => {
      window.removeEventListener("keydown", onKey);
      document.removeEventListener("paste", onPaste);
      if (pendingPaste) clearTimeout(pendingPaste);
    };
  }, [fitView]);
}
