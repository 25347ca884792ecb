/**
 * The designer's document store: the flow document with its undo history, plus UI state
 * that is NOT history (selection, in-progress drags, measured node sizes, save status).
 *
 * State and actions apart: components read with `useFlowStore(selector)`, and change things
 * only through `flowActions`, whose document edits go through the pure ops in ../doc/ops.
 * Drags are transient (`drag`): a move is committed once, on drag stop, as one undo step.
 */
import { create } from "zustand";
import { diffFlows, isEmptyDiff, newFlowId, setDefaultEdgeMode, setDescription, setParameters, type EdgeMode, type FlowDocument, type FlowParameter, type Position, type TestCase } from "@millrace/flow";
import * as ops from "../doc/ops";
import { commit, initHistory, redo, undo, type History } from "../doc/history";
import { copySelection, parseClip, prepareClip } from "../doc/clipboard";
import { catalog } from "../catalog/specs";

/** Where a refused edit is reported (the UI sets a toast here). */
let reportError: (message: string) => void = (m) => console.warn(m);
export function onEditError(fn: (message: string) => void) {
  reportError = fn;
}

export interface Selection {
  nodes: string[];
  edges: string[];
}

export interface FlowState {
  history: History<FlowDocument>;
  /** = history.present, for convenient selectors */
  doc: FlowDocument;
  /** the engine's latest version when loaded/saved; undefined: never saved */
  baseVersion?: number;
  /** canonical JSON of the document as last loaded/saved: `dirty` compares with it */
  savedJson: string;
  selection: Selection;
  drag: Record<string, Position> | null;
  measured: Record<string, { width: number; height: number }>;
  /** increments on every load: the canvas fits the view once the loaded nodes are measured */
  loadSeq: number;
  /**
   * Names of sensitive parameters the engine holds a value for (`flows.get` → `secretsSet`; the
   * browser never sees the values): a blank sensitive parameter NOT in this list has no value at
   * all (an imported copy, a copy saved after a conflict, one added and left blank).
   */
  storedSecrets: string[];
}

const CLIP_KEY = "millrace.clipboard";

const sensitiveNames = (doc: FlowDocument) => doc.parameters.filter((p) => p.sensitive).map((p) => p.name);

const canonicalCache = new WeakMap<FlowDocument, string>();
/** JSON of a document, cached per (immutable) document object. */
export function canonical(doc: FlowDocument): string {
  let s = canonicalCache.get(doc);
  if (s === undefined) canonicalCache.set(doc, (s = JSON.stringify(doc)));
  return s;
}

function initial(): FlowState {
  const doc = ops.emptyDocument(newFlowId(), "Untitled flow");
  return { history: initHistory(doc), doc, savedJson: canonical(doc), selection: { nodes: [], edges: [] }, drag: null, measured: {}, loadSeq: 0, storedSecrets: [] };
}

export const useFlowStore = create<FlowState>(() => initial());

const get = () => useFlowStore.getState();
const set = (patch: Partial<FlowState>) => useFlowStore.setState(patch);

/** Applies a document edit as one undo step (or merges into the last one with the same key). */
function edit(fn: (doc: FlowDocument) => FlowDocument, key?: string) {
  const s = get();
  let next: FlowDocument;
  try {
    next = fn(s.doc);
  } catch (e) {
    reportError(e instanceof Error ? e.message : String(e));
    return;
  }
  if (next === s.doc) return;
  const history = commit(s.history, next, { key });
  set({ history, doc: history.present });
}

function pruneSelection(doc: FlowDocument, sel: Selection): Selection {
  const n = new Set(doc.nodes.map((x) => x.id));
  const e = new Set(doc.edges.map((x) => x.id));
  return { nodes: sel.nodes.filter((id) => n.has(id)), edges: sel.edges.filter((id) => e.has(id)) };
}

export const flowActions = {
  /**
   * Replaces the document (open a flow / new flow): clears history and the dirty mark.
   * `secretsSet`: the engine's word on which sensitive parameters have a stored value; an engine
   * too old to say is taken to hold them all (no false "not set"). Never saved: none.
   */
  load(doc: FlowDocument, baseVersion?: number, opts: { dirty?: boolean; secretsSet?: string[] } = {}) {
    const names = sensitiveNames(doc);
    set({
      storedSecrets: baseVersion === undefined ? [] : opts.secretsSet ? names.filter((n) => opts.secretsSet!.includes(n)) : names,
      history: initHistory(doc),
      doc,
      baseVersion,
      savedJson: opts.dirty ? "" : canonical(doc),
      selection: { nodes: [], edges: [] },
      drag: null,
      loadSeq: get().loadSeq + 1,
    });
  },
  newFlow(name = "Untitled flow") {
    flowActions.load(ops.emptyDocument(newFlowId(), name), undefined);
  },
  /** `created: false`: the engine kept its latest version as it was (typed secret values were NOT stored). */
  markSaved(version: number, doc: FlowDocument = get().doc, opts: { created?: boolean } = {}) {
    // a blank sensitive value keeps the stored one (same name); a typed one is stored now
    const before = new Set(get().storedSecrets);
    const stored = doc.parameters
      .filter((p) => p.sensitive && ((opts.created !== false && p.value !== "") || before.has(p.name)))
      .map((p) => p.name);
    set({ baseVersion: version, savedJson: canonical(doc), storedSecrets: stored });
  },

  /**
   * Puts an earlier version's document into the editor as one undoable edit: unsaved until
   * the user saves, which makes it a NEW version (history is never rewritten). The flow's
   * id and the version the editor is based on stay as they are.
   */
  restore(versionDoc: FlowDocument): boolean {
    const before = get().doc;
    if (isEmptyDiff(diffFlows(before, { ...versionDoc, id: before.id }))) return false;
    edit((cur) => ({ ...structuredClone(versionDoc), id: cur.id }));
    const changed = get().doc !== before;
    if (changed) set({ selection: { nodes: [], edges: [] } });
    return changed;
  },

  undo() {
    const s = get();
    const history = undo(s.history);
    if (history !== s.history) set({ history, doc: history.present, selection: pruneSelection(history.present, s.selection), drag: null });
  },
  redo() {
    const s = get();
    const history = redo(s.history);
    if (history !== s.history) set({ history, doc: history.present, selection: pruneSelection(history.present, s.selection), drag: null });
  },

  setDescription(description: string) {
    edit((d) => setDescription(d, description), "flow:description");
  },
  setParameters(parameters: FlowParameter[]) {
    edit((d) => setParameters(d, parameters));
  },
  /** undefined: back to durable (the settings key goes) */
  setDefaultEdgeMode(mode: EdgeMode | undefined) {
    edit((d) => setDefaultEdgeMode(d, mode));
  },
  /** The flow's test cases (none: the `tests` key goes, so the document exports as one without them). */
  setTests(tests: TestCase[]) {
    edit((d) => {
      const { tests: _old, ...rest } = d;
      return tests.length ? { ...rest, tests } : rest;
    });
  },
  rename(name: string) {
    edit((d) => ops.renameFlow(d, name), "flow:name");
  },
  addNode(type: string, typeVersion: number, config: Record<string, unknown>, position: Position) {
    const id = ops.nextNodeId(get().doc, type);
    edit((d) => ops.addNode(d, { id, type, typeVersion, config: structuredClone(config), position }));
    set({ selection: { nodes: [id], edges: [] } });
    return id;
  },
  setConfig(nodeId: string, config: Record<string, unknown>, field?: string) {
    edit((d) => ops.setNodeConfig(d, nodeId, config), `config:${nodeId}:${field ?? "*"}`);
  },
  setNodeName(nodeId: string, name: string) {
    edit((d) => ops.renameNode(d, nodeId, name), `name:${nodeId}`);
  },
  setNodeSettings(nodeId: string, settings: Record<string, unknown> | undefined, field?: string) {
    edit((d) => ops.setNodeSettings(d, nodeId, settings), `settings:${nodeId}:${field ?? "*"}`);
  },
  connect(from: { node: string; port: string }, to: { node: string }) {
    edit((d) => ops.connect(d, from, to, catalog));
  },
  setEdgeSettings(edgeId: string, settings: ops.EdgeSettings, field?: string) {
    edit((d) => ops.updateEdgeSettings(d, edgeId, settings), `edge:${edgeId}:${field ?? "*"}`);
  },
  deleteSelection() {
    const { selection } = get();
    edit((d) => ops.removeElements(d, selection.nodes, selection.edges));
    set({ selection: { nodes: [], edges: [] } });
  },
  deleteElements(nodeIds: string[], edgeIds: string[]) {
    edit((d) => ops.removeElements(d, nodeIds, edgeIds));
    set({ selection: pruneSelection(get().doc, get().selection) });
  },
  /** Any pure document edit as one undo step (process groups' edits come this way); `key` merges repeats. */
  applyEdit(fn: (doc: FlowDocument) => FlowDocument, key?: string) {
    edit(fn, key);
  },
  /** Commits positions (auto-layout, end of a drag) as one undo step. */
  moveNodes(positions: Record<string, Position>) {
    edit((d) => ops.moveNodes(d, positions));
    set({ drag: null });
  },

  // ---- transient / UI state (not history) ----
  select(selection: Partial<Selection>) {
    const cur = get().selection;
    const next = { nodes: selection.nodes ?? cur.nodes, edges: selection.edges ?? cur.edges };
    if (sameList(next.nodes, cur.nodes) && sameList(next.edges, cur.edges)) return;
    set({ selection: next });
  },
  selectAll() {
    const d = get().doc;
    set({ selection: { nodes: d.nodes.map((n) => n.id), edges: d.edges.map((e) => e.id) } });
  },
  dragTo(positions: Record<string, Position>) {
    set({ drag: { ...(get().drag ?? {}), ...positions } });
  },
  endDrag() {
    const drag = get().drag;
    if (drag) flowActions.moveNodes(drag);
  },
  /** Sizes React Flow measured, all at once (one store update for a whole flow's nodes). */
  setMeasuredMany(sizes: Record<string, { width: number; height: number }>) {
    const cur = get().measured;
    let next: FlowState["measured"] | undefined;
    for (const id in sizes) {
      const m = cur[id];
      const size = sizes[id]!;
      if (m && m.width === size.width && m.height === size.height) continue;
      (next ??= { ...cur })[id] = size;
    }
    if (next) set({ measured: next });
  },
  setMeasured(id: string, size: { width: number; height: number }) {
    const cur = get().measured[id];
    if (cur && cur.width === size.width && cur.height === size.height) return;
    set({ measured: { ...get().measured, [id]: size } });
  },

  // ---- clipboard ----
  copy(): boolean {
    const { doc, selection } = get();
    const clip = copySelection(doc, selection.nodes);
    if (!clip) return false;
    const text = JSON.stringify(clip);
    try {
      localStorage.setItem(CLIP_KEY, text);
    } catch {
      /* private mode */
    }
    if (typeof navigator !== "undefined") navigator.clipboard?.writeText(text).catch(() => undefined);
    return true;
  },
  cut(): boolean {
    if (!flowActions.copy()) return false;
    flowActions.deleteSelection();
    return true;
  },
  /** Pastes from `text` (system clipboard) or the last copy in localStorage. */
  paste(text?: string | null, at?: Position): boolean {
    let clip = parseClip(text);
    if (!clip) {
      try {
        clip = parseClip(localStorage.getItem(CLIP_KEY));
      } catch {
        clip = null;
      }
    }
    if (!clip || clip.nodes.length === 0) return false;
    const { nodes, edges } = prepareClip(get().doc, clip, at ? { at } : { offset: { x: 40, y: 40 } });
    edit((d) => ops.addSubgraph(d, nodes, edges));
    // the next paste of the same clip lands a little further
    if (!at) {
      try {
        const shifted = { ...clip, nodes: clip.nodes.map((n) => ({ ...n, position: { x: n.position.x + 40, y: n.position.y + 40 } })) };
        localStorage.setItem(CLIP_KEY, JSON.stringify(shifted));
      } catch {
        /* ignore */
      }
    }
    set({ selection: { nodes: nodes.map((n) => n.id), edges: edges.map((e) => e.id) } });
    return true;
  },
};

function sameList(a: string[], b: string[]) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export const useDirty = () => useFlowStore((s) => s.savedJson !== canonical(s.doc));
export const useCanUndo = () => useFlowStore((s) => s.history.past.length > 0);
export const useCanRedo = () => useFlowStore((s) => s.history.future.length > 0);
