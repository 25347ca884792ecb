/**
 * What the designer does with the engine: open, save (refusing to overwrite a newer version),
 * create, rename, delete, import, export, deploy. Plain async functions over the API and
 * the stores, so components stay thin.
 */
import { copyName, newFlowId, type FlowDocument } from "@millrace/flow";
import { api, errorCode, errorMessage, isUnreachable, pathErrors } from "./api/client";
import type { FlowGetResult } from "./api/types";
import { canonical, flowActions, useFlowStore } from "./store/flowStore";
import { latestFromConflict, ui } from "./store/uiStore";
import { queryClient } from "./queryClient";
import { statsActions } from "./store/statsStore";
import type { ImportOutcome } from "./doc/importOutcome";

export const flowsKey = ["flows", "list"] as const;
export const versionsKey = (id: string) => ["flows", "versions", id] as const;

function isDirty() {
  const s = useFlowStore.getState();
  return s.savedJson !== canonical(s.doc);
}

export function confirmDiscard(): boolean {
  return !isDirty() || window.confirm("This flow has unsaved changes. Discard them?");
}

/**
 * The answer to flows.get(id) that index.html started fetching with the page, taken once;
 * undefined when there is none for this id or it failed (the caller then asks the API).
 */
export async function takePrefetchedFlow(id: string, w: { __mrFlowPrefetch?: { id: string; res: Promise<unknown> } } = window as never): Promise<FlowGetResult | undefined> {
  const p = w.__mrFlowPrefetch;
  if (!p || p.id !== id) return undefined;
  delete w.__mrFlowPrefetch;
  try {
    const body = (await p.res) as [{ result?: { data?: FlowGetResult } }] | undefined;
    return body?.[0]?.result?.data ?? undefined;
  } catch {
    return undefined;
  }
}

export async function openFlow(id: string, opts: { force?: boolean } = {}) {
  if (!opts.force && useFlowStore.getState().doc.id !== id && !confirmDiscard()) return false;
  try {
    const res = (await takePrefetchedFlow(id)) ?? (await api.flows.get(id));
    ui.preview(null);
    flowActions.load(res.document, res.version?.version ?? res.flow.latestVersion, { secretsSet: res.secretsSet });
    statsActions.clear();
    ui.conflict(null);
    rememberLastFlow(id);
    return true;
  } catch (e) {
    ui.toast(`Could not open flow: ${errorMessage(e)}`, "error");
    return false;
  }
}

export function rememberLastFlow(id: string | null) {
  try {
    if (id) localStorage.setItem("millrace.lastFlow", id);
    else localStorage.removeItem("millrace.lastFlow");
  } catch {
    /* ignore */
  }
}

export function lastFlow(): string | null {
  try {
    return localStorage.getItem("millrace.lastFlow");
  } catch {
    return null;
  }
}

export async function saveFlow(message?: string): Promise<boolean> {
  const { doc, baseVersion } = useFlowStore.getState();
  try {
    // a draft's first save is based on version 0: a flow already stored under its id makes it a CONFLICT, not a version of that flow
    const res = await api.flows.save({ document: doc, baseVersion: baseVersion ?? 0, message });
    const typedSecrets = doc.parameters.filter((p) => p.sensitive && p.value !== "").map((p) => p.name);
    flowActions.markSaved(res.version, doc, { created: res.created });
    ui.conflict(null);
    rememberLastFlow(res.id);
    if (res.created === false && typedSecrets.length)
      // the engine compares versions without secret values: a new secret alone is not stored
      ui.toast(`Not stored: the engine saw no change since version ${res.version}, so the value typed for ${typedSecrets.map((n) => `“${n}”`).join(", ")} was not saved. Change something else in the flow too and save again.`, "error", 10_000);
    else ui.toast(res.created === false ? `No changes since version ${res.version}: nothing new to save` : `Saved version ${res.version}`, "success", 2500);
    void queryClient.invalidateQueries({ queryKey: flowsKey });
    void queryClient.invalidateQueries({ queryKey: versionsKey(res.id) });
    return true;
  } catch (e) {
    if (errorCode(e) === "CONFLICT") {
      const message = errorMessage(e);
      ui.conflict({ message, latest: latestFromConflict(message) });
      void queryClient.invalidateQueries({ queryKey: versionsKey(doc.id) });
    } else if (isUnreachable(e)) {
      ui.toast("Engine unreachable: nothing was saved.", "error", 6000);
    } else {
      ui.toast(`Save refused:\n${pathErrors(e).join("\n")}`, "error", 8000);
    }
    return false;
  }
}

/** Keeps my changes as a new flow (after a conflict). */
export async function saveAsCopy(): Promise<boolean> {
  const { doc } = useFlowStore.getState();
  const copy: FlowDocument = { ...doc, id: newFlowId(), name: copyName(doc.name) };
  flowActions.load(copy, undefined, { dirty: true });
  return saveFlow("copy after a conflicting save");
}

export async function reloadLatest() {
  const id = useFlowStore.getState().doc.id;
  await openFlow(id, { force: true });
}

/**
 * A new flow is a draft of this page (the list shows it as one) until the user saves it, as a new
 * document in an editor is: nothing is stored, so flows left empty do not pile up. Its first edit
 * makes it unsaved work the page warns about before it is left or replaced.
 */
export function createFlow() {
  if (!confirmDiscard()) return;
  ui.preview(null);
  flowActions.newFlow();
  statsActions.clear();
  ui.conflict(null);
  // let the user type the name right away
  requestAnimationFrame(() => (document.querySelector('[data-testid="flow-name"]') as HTMLInputElement | null)?.select());
}

/** Renames a flow that is not open: writes a new version with the new name. */
export async function renameStoredFlow(id: string, name: string) {
  const s = useFlowStore.getState();
  if (s.doc.id === id) {
    flowActions.rename(name);
    return;
  }
  try {
    const cur = await api.flows.get(id);
    await api.flows.save({ document: { ...cur.document, name }, baseVersion: cur.flow.latestVersion, message: `renamed to ${name}` });
    void queryClient.invalidateQueries({ queryKey: flowsKey });
  } catch (e) {
    ui.toast(`Rename failed: ${errorMessage(e)}`, "error");
  }
}

export async function deleteFlow(id: string, name: string) {
  if (!window.confirm(`Delete flow "${name}" and all its versions?`)) return;
  try {
    await api.flows.delete(id);
    if (useFlowStore.getState().doc.id === id) {
      flowActions.newFlow();
      rememberLastFlow(null);
    }
    void queryClient.invalidateQueries({ queryKey: flowsKey });
    ui.toast(`Deleted "${name}"`, "info");
  } catch (e) {
    ui.toast(`Delete failed: ${errorMessage(e)}`, "error");
  }
}

export function download(filename: string, text: string) {
  const blob = new Blob([text], { type: "application/json" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

export function exportFileName(name: string): string {
  // control characters are not allowed in file names
  // eslint-disable-next-line no-control-regex
  const safe = name.trim().replace(/[\\/:*?"<>|\u0000-\u001f]+/g, "-") || "flow";
  return `${safe}.flow.json`;
}

export async function exportFlow() {
  const { doc, baseVersion } = useFlowStore.getState();
  if (baseVersion === undefined) {
    ui.toast("This flow has never been saved; exporting the local draft.", "info");
    download(exportFileName(doc.name), JSON.stringify(doc, null, 2) + "\n");
    return;
  }
  try {
    const exported = await api.flows.export(doc.id);
    download(exportFileName(exported.name ?? doc.name), JSON.stringify(exported, null, 2) + "\n");
    if (isDirty()) ui.toast(`Exported saved version ${baseVersion}; your unsaved changes are not in the file.`, "info", 6000);
  } catch (e) {
    ui.toast(`Export failed: ${errorMessage(e)}`, "error");
  }
}

const IMPORT_TOPIC = "import";

/**
 * Imports as the dialog said it would (`outcome`: a new flow, the next version of the flow with
 * the file's id, or a copy). Returns null on success, else the path-named errors to show.
 */
export async function importFlow(text: string, outcome: ImportOutcome): Promise<string[] | null> {
  // an earlier import's "Imported" must not stand next to this attempt's errors
  ui.dismissTopic(IMPORT_TOPIC);
  if (!text.trim()) return ["Nothing to import: choose a file or paste a flow JSON."];
  if (!confirmDiscard()) return null;
  try {
    const res = await api.flows.import(text, outcome.kind === "copy", outcome.kind === "new-version" ? "new-version" : "copy");
    // blank secrets in the file (an export never carries them) have no value: flows.get says so
    void queryClient.invalidateQueries({ queryKey: flowsKey });
    void queryClient.invalidateQueries({ queryKey: versionsKey(res.id) });
    await openFlow(res.id, { force: true });
    const name = useFlowStore.getState().doc.name;
    const said = res.copied ? `Imported as a copy: “${name}”` : res.created === false ? `Nothing new: the file is version ${res.version} of “${name}” as stored` : res.version > 1 ? `Imported as version ${res.version} of “${name}”` : `Imported “${name}”`;
    ui.toast(said, "success", 4000, IMPORT_TOPIC);
    return null;
  } catch (e) {
    if (isUnreachable(e)) return ["Engine unreachable: nothing was imported."];
    return pathErrors(e);
  }
}
