/**
 * Version history of the open flow: every saved version (newest first) with its author,
 * message and time; the running/deployed one and the one the editor is based on marked.
 * "View" shows a version read-only on the canvas; "Restore" puts its document into the
 * editor as unsaved changes (one undo step): saving makes it a new version, history is
 * never rewritten. "Compare" draws one version against another (or the editor) with what
 * changed marked (CompareView).
 */
import { useMemo, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { api, errorMessage } from "../api/client";
import type { FlowVersionInfo } from "../api/types";
import { flowActions, useFlowStore } from "../store/flowStore";
import { ui, useUiStore } from "../store/uiStore";
import { versionsKey } from "../session";
import { useDeployment } from "../deploy";
import { describeDiff, diffFlows } from "@millrace/flow";
import { versionDoc } from "../api/versionDoc";
import { useComparison } from "../store/compareStore";
import { compare, CompareBar, ComparePicker, CompareSummary } from "./CompareView";

/** Shows `version` read-only on the canvas. */
export async function viewVersion(flowId: string, version: number) {
  try {
    const doc = await versionDoc(flowId, version);
    flowActions.select({ nodes: [], edges: [] });
    ui.flowTab("history");
    ui.preview({ version, doc });
  } catch (e) {
    ui.toast(`Could not load version ${version}: ${errorMessage(e)}`, "error");
  }
}

/** Loads `version`'s document into the editor as unsaved changes (undoable). */
export async function restoreVersion(flowId: string, version: number) {
  try {
    const doc = await versionDoc(flowId, version);
    ui.preview(null);
    const base = useFlowStore.getState().baseVersion;
    if (flowActions.restore(doc)) {
      ui.toast(`Version ${version} is in the editor, not saved yet. Save to keep it as version ${(base ?? 0) + 1}; Ctrl+Z undoes the restore.`, "info", 7000);
    } else {
      ui.toast(`The editor already holds what version ${version} has: nothing to restore.`, "info");
    }
  } catch (e) {
    ui.toast(`Could not restore version ${version}: ${errorMessage(e)}`, "error");
  }
}

export function relativeTime(at: string | Date, now = Date.now()): string {
  const t = new Date(at).getTime();
  const s = Math.round((now - t) / 1000);
  if (!Number.isFinite(s)) return "";
  if (s < 45) return "just now";
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  if (d < 7) return `${d} day${d === 1 ? "" : "s"} ago`;
  return new Date(t).toLocaleDateString();
}

export function HistoryPanel() {
  const flowId = useFlowStore((s) => s.doc.id);
  const baseVersion = useFlowStore((s) => s.baseVersion);
  const saved = baseVersion !== undefined;
  const preview = useUiStore((s) => s.preview);
  const dep = useDeployment(flowId, saved);
  const q = useQuery({ queryKey: versionsKey(flowId), queryFn: () => api.flows.versions(flowId), enabled: saved, refetchInterval: 15_000 });
  const [busy, setBusy] = useState<number | null>(null);
  const comparing = useComparison() !== null;

  if (!saved) {
    return (
      <div data-testid="history-panel">
        <p className="mr-muted">This flow has never been saved: its first save will be version 1.</p>
      </div>
    );
  }
  const versions = q.data ?? [];
  const deployedVersion = dep.status && dep.status.status !== "not-deployed" ? dep.status.version : null;
  const act = async (v: number, fn: () => Promise<void>) => {
    setBusy(v);
    await fn();
    setBusy(null);
  };
  return (
    <div data-testid="history-panel">
      {comparing ? <CompareSummary /> : preview && <PreviewDiff />}
      <p className="mr-help">
        Every save is a version. <b>View</b> shows one on the canvas, read-only; <b>Restore</b> puts it in the editor as unsaved changes: saving then makes it a new version; <b>Compare</b> marks what changed since it.
      </p>
      <ComparePicker versions={versions.map((v) => v.version)} deployedVersion={deployedVersion} />
      {q.isError && <div className="mr-field-error block">Could not read the versions: {errorMessage(q.error)}</div>}
      {q.isPending && <p className="mr-muted small">Loading versions…</p>}
      <ol className="mr-versions" data-testid="history-list">
        {versions.map((v) => (
          <VersionRow
            key={v.version}
            v={v}
            latest={v.version === versions[0]?.version}
            base={v.version === baseVersion}
            viewing={preview?.version === v.version}
            deployed={v.version === deployedVersion ? (dep.running ? "running" : dep.status?.status ?? "deployed") : null}
            busy={busy === v.version}
            onView={() => (preview?.version === v.version ? ui.preview(null) : void act(v.version, () => viewVersion(flowId, v.version)))}
            onRestore={() => void act(v.version, () => restoreVersion(flowId, v.version))}
            onCompare={() => void act(v.version, () => compare(flowId, v.version, "editor"))}
          />
        ))}
      </ol>
    </div>
  );
}

function VersionRow(props: {
  v: FlowVersionInfo;
  latest: boolean;
  base: boolean;
  viewing: boolean;
  deployed: string | null;
  busy: boolean;
  onView: () => void;
  onRestore: () => void;
  onCompare: () => void;
}) {
  const { v, latest, base, viewing, deployed, busy } = props;
  const when = new Date(v.createdAt);
  return (
    <li className={`mr-version-row${viewing ? " viewing" : ""}`} data-testid={`history-row-${v.version}`} data-version={v.version}>
      <div className="mr-version-line">
        <span className="mr-version-num">v{v.version}</span>
        <span className="mr-version-marks">
          {latest && <span className="mr-tag">latest</span>}
          {base && <span className="mr-tag accent" title="The version your editor started from">editing</span>}
          {deployed && (
            <span className={`mr-tag${deployed === "running" ? " ok" : ""}`} data-testid={`history-deployed-${v.version}`} title={`This version is deployed (${deployed})`}>
              {deployed === "running" ? "▶ running" : `deployed · ${deployed}`}
            </span>
          )}
        </span>
        <time className="mr-version-time" dateTime={when.toISOString()} title={when.toLocaleString()}>
          {relativeTime(v.createdAt)}
        </time>
      </div>
      <div className="mr-version-msg" title={v.message ?? undefined}>
        {v.message ? v.message : <span className="mr-muted">no message</span>}
        <span className="mr-muted"> · {v.author || "anonymous"}</span>
      </div>
      <div className="mr-version-actions">
        <button className={`mr-btn small${viewing ? " on" : ""}`} data-testid={`history-view-${v.version}`} disabled={busy} aria-pressed={viewing} onClick={props.onView}>
          {viewing ? "Viewing" : "View"}
        </button>
        <button className="mr-btn small" data-testid={`history-restore-${v.version}`} disabled={busy} onClick={props.onRestore} title={`Put version ${v.version} in the editor as unsaved changes`}>
          Restore
        </button>
        <button className="mr-btn small" data-testid={`history-compare-${v.version}`} disabled={busy} onClick={props.onCompare} title={`Mark on the canvas what changed from version ${v.version} to the editor's flow`}>
          Compare
        </button>
      </div>
    </li>
  );
}

/** What restoring the previewed version would change in the editor. */
function PreviewDiff() {
  const preview = useUiStore((s) => s.preview)!;
  const doc = useFlowStore((s) => s.doc);
  const lines = useMemo(() => describeDiff(diffFlows(doc, { ...preview.doc, id: doc.id })), [doc, preview]);
  return (
    <div className="mr-diff" data-testid="history-diff">
      <strong>Restoring v{preview.version} changes:</strong>
      {lines.length === 0 ? (
        <div className="mr-muted">nothing: the editor holds the same flow.</div>
      ) : (
        <ul>
          {lines.map((l) => (
            <li key={l}>{l}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The strip above the canvas while a version is shown read-only. */
export function PreviewBar() {
  const preview = useUiStore((s) => s.preview);
  const flowId = useFlowStore((s) => s.doc.id);
  const comparing = useComparison() !== null;
  if (comparing) return <CompareBar />;
  if (!preview) return null;
  return (
    <div className="mr-preview-bar" role="status" data-testid="history-preview">
      <span className="mr-preview-text" title="An earlier version, read-only; your editor and its unsaved changes are untouched">
        Viewing <b>v{preview.version}</b> (read-only)
      </span>
      <span className="mr-preview-actions">
        <button className="mr-btn small primary" data-testid="history-preview-restore" onClick={() => void restoreVersion(flowId, preview.version)}>
          Restore v{preview.version}
        </button>
        <button className="mr-btn small" data-testid="history-preview-close" onClick={() => ui.preview(null)} title="Back to editing (Esc)">
          Back to editing
        </button>
      </span>
    </div>
  );
}
