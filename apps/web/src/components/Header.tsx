import { useEffect, useRef, useState } from "react";
import { useFlowStore, useDirty } from "../store/flowStore";
import { flowActions } from "../store/flowStore";
import { ui, useUiStore } from "../store/uiStore";
import { exportFlow, reloadLatest, saveAsCopy, saveFlow } from "../session";
import { useDeployment, useDeployMutations, useLiveStats } from "../deploy";
import { cleanRecordId, lineageActions } from "../store/lineageStore";
import { staleFor, useEngineLoad, useStale } from "../store/statsStore";
import { auth, useAuthStore, useRole } from "../auth/authStore";
import { roleReason } from "../auth/roles";
import { openAccountDialog } from "./AccountDialog";
import { openConnectionsDialog } from "./ConnectionsDialog";
import { openSchemasDialog } from "./SchemasDialog";

export function Header() {
  const name = useFlowStore((s) => s.doc.name);
  const id = useFlowStore((s) => s.doc.id);
  const baseVersion = useFlowStore((s) => s.baseVersion);
  const dirty = useDirty();
  const [saving, setSaving] = useState(false);
  const saved = baseVersion !== undefined;
  const dep = useDeployment(id, saved);
  const { deploy, stop } = useDeployMutations(id);
  useLiveStats(id, dep.running);

  const [draftName, setDraftName] = useState(name);
  useEffect(() => setDraftName(name), [name]);
  const role = useRole();
  const editReason = roleReason(role, "edit");
  const operateReason = roleReason(role, "deploy");
  const connectionsReason = roleReason(role, "connections");

  const deployDisabledReason =
    operateReason ||
    (dep.availability === "unavailable"
      ? `Deploy unavailable: ${dep.reason}`
      : dep.availability === "offline"
        ? "Engine not reachable"
        : !saved
          ? "Save the flow before deploying"
          : dirty
            ? "Save your changes before deploying"
            : "");

  return (
    <header className="mr-header" data-testid="header">
      <div className="mr-brand">
        <span className="mr-logo">≋</span> Millrace
      </div>
      <div className="mr-flow-title">
        <input
          className="mr-name-input"
          data-testid="flow-name"
          aria-label="Flow name"
          value={draftName}
          title={name}
          onChange={(e) => {
            setDraftName(e.target.value);
            if (e.target.value.trim()) flowActions.rename(e.target.value);
          }}
          onBlur={() => setDraftName(name)}
          onKeyDown={(e) => e.key === "Enter" && (e.target as HTMLInputElement).blur()}
        />
        {saved && (
          <button
            className="mr-version"
            data-testid="flow-version"
            title={`Version ${baseVersion} of ${id}: show the version history`}
            onClick={() => {
              flowActions.select({ nodes: [], edges: [] });
              ui.flowTab("history");
            }}
          >
            v{baseVersion}
          </button>
        )}
        <span
          className={`mr-dirty${dirty || !saved ? " on" : ""}`}
          data-testid="dirty-mark"
          data-dirty={dirty || !saved ? "true" : "false"}
          title={dirty ? "Changes not saved yet" : saved ? "All changes saved" : "This flow has never been saved"}
        >
          {dirty ? "● Unsaved changes" : saved ? "✓ Saved" : "● Draft, not saved"}
        </span>
      </div>
      <div className="mr-header-actions">
        <SaveButton saving={saving} disabled={saving || (!dirty && saved) || !!editReason} refusal={editReason} onSave={async (message) => {
          setSaving(true);
          const ok = await saveFlow(message);
          setSaving(false);
          return ok;
        }} />
        {dep.running ? (
          <>
            {saved && !dirty && dep.status?.version != null && baseVersion !== undefined && dep.status.version < baseVersion && (
              <button className="mr-btn" data-testid="redeploy-button" disabled={deploy.isPending || !!operateReason} onClick={() => deploy.mutate(baseVersion)} title={operateReason || `v${dep.status.version} is running; deploy v${baseVersion}`}>
                ▶ Deploy v{baseVersion}
              </button>
            )}
            <span title={operateReason || "Stop the running deployment"} className="mr-tip-wrap">
              <button className="mr-btn danger" data-testid="stop-button" disabled={stop.isPending || !!operateReason} onClick={() => stop.mutate()}>
                ■ Stop
              </button>
            </span>
          </>
        ) : (
          <span title={deployDisabledReason} className="mr-tip-wrap">
            <button
              className="mr-btn"
              data-testid="deploy-button"
              disabled={!!deployDisabledReason || deploy.isPending}
              onClick={() => deploy.mutate(baseVersion)}
            >
              ▶ Deploy
            </button>
          </span>
        )}
        {dep.status && dep.status.status !== "not-deployed" && (
          <span
            className={`mr-pill${dep.running ? " running" : ""}${dep.status.status === "failed" ? " failed" : ""}`}
            data-testid="deploy-status"
            data-status={dep.status.status}
            title={dep.status.error ?? undefined}
          >
            {dep.status.status}
            {dep.status.version ? ` v${dep.status.version}` : ""}
          </span>
        )}
        {dep.running && <StaleMark />}
        {dep.running && <EngineLoadMark />}
        {dep.running && <DiskLowMark />}
        <span className="mr-sep" />
        <RecordSearch />
        <span title={editReason || "Import a flow JSON"} className="mr-tip-wrap">
          <button className="mr-btn" data-testid="import-button" disabled={!!editReason} onClick={() => ui.importDialog(true)}>
            Import
          </button>
        </span>
        <span title={connectionsReason || "Named Kafka clusters, databases and endpoints that nodes connect to"} className="mr-tip-wrap">
          <button className="mr-btn" data-testid="connections-button" disabled={!!connectionsReason} onClick={openConnectionsDialog}>
            Connections
          </button>
        </span>
        <button className="mr-btn" data-testid="schemas-button" onClick={openSchemasDialog} title="Avro schemas in the engine's schema registry: subjects, versions, compatibility">
          Schemas
        </button>
        <button className="mr-btn" data-testid="export-button" onClick={() => void exportFlow()} title="Download <name>.flow.json">
          Export
        </button>
        <button className="mr-btn ghost" data-testid="header-help-button" onClick={() => ui.help(true)} title="Keyboard shortcuts (?)">
          ?
        </button>
        <UserMenu />
      </div>
    </header>
  );
}

/** Who is logged in, with what role (a click opens their API tokens and, for admins, the users), and logging out. */
function UserMenu() {
  const user = useAuthStore((s) => (s.status === "signed-in" ? s.user : undefined));
  if (!user) return null;
  return (
    <>
      <span className="mr-sep" />
      <button
        className="mr-user"
        data-testid="header-user"
        data-role={user.role}
        onClick={() => openAccountDialog("tokens")}
        title={`Logged in as ${user.name}, role ${user.role}: your API tokens${user.role === "admin" ? ", the users and the audit log" : ""}`}
      >
        <span className="mr-user-name" data-testid="header-user-name">
          {user.name}
        </span>
        <span className="mr-role" data-testid="header-user-role">
          {user.role}
        </span>
      </button>
      <button className="mr-btn small" data-testid="logout-button" onClick={() => void auth.logout()} title="Log out of this engine">
        Log out
      </button>
    </>
  );
}

/**
 * A save refused because a newer version exists: a strip of its own under the header that
 * pushes the layout down (nothing hidden under it), naming the version that is now the latest.
 */
export function ConflictBanner() {
  const conflict = useUiStore((s) => s.conflict);
  const baseVersion = useFlowStore((s) => s.baseVersion);
  if (!conflict) return null;
  const latest = conflict.latest;
  return (
    <div className="mr-conflict" role="alert" data-testid="save-conflict" data-latest={latest}>
      <span className="mr-conflict-text">
        <strong>Not saved:</strong> {baseVersion === undefined ? "another flow already has this new flow's id" : `someone saved a newer version of this flow since you opened v${baseVersion}`}
        {latest !== undefined && (
          <>
            {" "}
            — <b data-testid="conflict-latest">version {latest}</b> is now the latest
          </>
        )}
        . Your changes are still here.
      </span>
      <span className="mr-conflict-actions">
        <button className="mr-btn small" data-testid="conflict-save-copy" onClick={() => void saveAsCopy()} title="Save your changes as a new flow; the other one keeps its versions">
          Save mine as a copy
        </button>
        <button
          className="mr-btn small"
          data-testid="conflict-history"
          onClick={() => {
            flowActions.select({ nodes: [], edges: [] });
            ui.flowTab("history");
          }}
          title="See the versions, view the new one read-only"
        >
          History
        </button>
        <button
          className="mr-btn small danger"
          data-testid="conflict-reload"
          onClick={() => window.confirm(`Discard your changes and load ${latest !== undefined ? `version ${latest}` : "the latest version"}?`) && void reloadLatest()}
        >
          Load {latest !== undefined ? `v${latest}` : "latest"} (discard mine)
        </button>
        <button className="mr-btn small ghost" data-testid="conflict-dismiss" onClick={() => ui.conflict(null)}>
          Dismiss
        </button>
      </span>
    </div>
  );
}

/** Find a record by its lineage id (the mr.id header) and show its lineage. */
function RecordSearch() {
  const [text, setText] = useState("");
  const lineageReason = roleReason(useRole(), "lineage");
  return (
    <form
      className="mr-search"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        const id = cleanRecordId(text);
        if (id) lineageActions.open(id);
        else ui.toast("Type or paste a record id (the mr.id header of a record in a tap).", "info");
      }}
    >
      <span className="mr-search-icon" aria-hidden>⌕</span>
      <input
        className="mr-input small"
        data-testid="lineage-search"
        aria-label="Find a record by id"
        placeholder="Record id (mr.id)…"
        title={lineageReason || "Paste a record's lineage id (its mr.id header) and press Enter to see where it came from and went"}
        disabled={!!lineageReason}
        value={text}
        spellCheck={false}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => e.key === "Escape" && (e.target as HTMLInputElement).blur()}
      />
    </form>
  );
}

/**
 * Save (Ctrl+S: right away, no questions) and, on its caret, Shift+click or Ctrl+Shift+S, a tiny
 * prompt for an optional message that the History tab shows with the version.
 */
function SaveButton({ saving, disabled, refusal, onSave }: { saving: boolean; disabled: boolean; refusal: string; onSave: (message?: string) => Promise<boolean> }) {
  const open = useUiStore((s) => s.saveMessageOpen);
  const [message, setMessage] = useState("");
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (open) requestAnimationFrame(() => input.current?.focus());
  }, [open]);
  const submit = async () => {
    const text = message.trim();
    ui.saveMessage(false);
    if (await onSave(text || undefined)) setMessage("");
  };
  return (
    <span className="mr-save-group" title={refusal || undefined}>
      <button
        className="mr-btn primary mr-save-main"
        data-testid="save-button"
        disabled={disabled}
        title={refusal || "Save a new version (Ctrl+S); Shift+click or Ctrl+Shift+S to add a message"}
        onClick={(e) => {
          if (e.shiftKey) ui.saveMessage(true);
          else void onSave();
        }}
      >
        {saving ? "Saving…" : "Save"}
      </button>
      <button
        className="mr-btn primary mr-save-caret"
        data-testid="save-with-message"
        disabled={disabled}
        aria-haspopup="dialog"
        aria-expanded={open}
        aria-label="Save with a message"
        title={refusal || "Save with a message (Ctrl+Shift+S)"}
        onClick={() => ui.saveMessage(!open)}
      >
        ▾
      </button>
      {open && (
        <form
          className="mr-save-pop"
          role="dialog"
          aria-label="Save with a message"
          data-testid="save-message-dialog"
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <label className="mr-label" htmlFor="save-message">What changed? (optional, shown in History)</label>
          <input
            id="save-message"
            ref={input}
            className="mr-input"
            data-testid="save-message-input"
            placeholder="e.g. raise the batch size"
            maxLength={500}
            value={message}
            onChange={(e) => setMessage(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Escape") {
                e.preventDefault();
                e.stopPropagation();
                ui.saveMessage(false);
              } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") {
                // Ctrl+S in here saves with what is typed
                e.preventDefault();
                e.stopPropagation();
                void submit();
              }
            }}
          />
          <div className="mr-save-pop-actions">
            <button type="button" className="mr-btn small ghost" onClick={() => ui.saveMessage(false)}>
              Cancel
            </button>
            <button type="submit" className="mr-btn small primary" data-testid="save-message-submit" disabled={saving}>
              Save
            </button>
          </div>
        </form>
      )}
    </span>
  );
}

/** The main thread is the engine's only one for Kafka, stats and the API: over this, it lags. */
const LOOP_DELAY_WARN_MS = 50;

/** How late the engines' main threads ran over their last second (worst p99; per engine in the tooltip). */
function EngineLoadMark() {
  const engines = useEngineLoad();
  const measured = engines.filter((e) => e.eventLoopP99Ms !== null);
  if (measured.length === 0) return null;
  const worstP99 = Math.max(...measured.map((e) => e.eventLoopP99Ms!));
  const worstMax = Math.max(...measured.map((e) => e.eventLoopMaxMs ?? 0));
  const lines = measured.map((e) => `${e.engineId}: p99 ${e.eventLoopP99Ms} ms, max ${e.eventLoopMaxMs} ms`);
  return (
    <span
      className={`mr-pill${worstMax > LOOP_DELAY_WARN_MS ? " stale" : ""}`}
      data-testid="engine-loop-delay"
      title={`How late each engine's main thread ran over its last second (over ${LOOP_DELAY_WARN_MS} ms, figures and the API lag):\n${lines.join("\n")}`}
    >
      {measured.length > 1 ? `${measured.length} engines · ` : ""}loop p99 {worstP99} ms
    </span>
  );
}

/** An engine's disk guard holds its sources: free space is low where its data lives. */
function DiskLowMark() {
  const low = useEngineLoad().filter((e) => e.diskLow);
  if (low.length === 0) return null;
  return (
    <span
      className="mr-pill failed"
      data-testid="engine-disk-low"
      title={`Free disk space is below its floor where the engine keeps its data (MILLRACE_DISK_MIN_FREE_MB / _PERCENT): its sources are paused and resume by themselves once there is room. Nothing is lost.\n${low.map((e) => e.engineId).join("\n")}`}
    >
      disk low · sources paused
    </span>
  );
}

/** The running flow's figures are not live: no stats tick for over 3 s. */
function StaleMark() {
  const stale = useStale();
  if (!stale) return null;
  return (
    <span className="mr-pill stale" data-testid="stats-stale" title={`No figures from the engine for ${staleFor()} s: the canvas shows the last known totals, greyed`}>
      figures stale
    </span>
  );
}
