import { useMemo, useState } from "react";
import { splitCopySuffix } from "@millrace/flow";
import { useQuery } from "@tanstack/react-query";
import { api, errorMessage } from "../api/client";
import { KINDS, searchSpecs, type ProcessorSpec } from "../catalog/specs";
import { useFlowStore, useDirty } from "../store/flowStore";
import { createFlow, deleteFlow, flowsKey, openFlow, renameStoredFlow } from "../session";
import { DND_TYPE } from "./Canvas";
import { useRole } from "../auth/authStore";
import { roleReason } from "../auth/roles";
import { openSharingDialog, SharingDialog } from "./SharingDialog";
import { TemplatePalette } from "../templates/TemplatePalette";

export function Sidebar() {
  return (
    <aside className="mr-sidebar" data-testid="sidebar">
      <FlowList />
      <TemplatePalette />
      <Palette />
    </aside>
  );
}

function FlowList() {
  const currentId = useFlowStore((s) => s.doc.id);
  const currentName = useFlowStore((s) => s.doc.name);
  const saved = useFlowStore((s) => s.baseVersion !== undefined);
  const dirty = useDirty();
  const q = useQuery({ queryKey: flowsKey, queryFn: api.flows.list, refetchInterval: 15_000 });
  const [renaming, setRenaming] = useState<string | null>(null);
  const editReason = roleReason(useRole(), "edit");
  const flows = q.data ?? [];
  const showDraft = !saved && !flows.some((f) => f.id === currentId);

  return (
    <section className="mr-flows" data-testid="flows-list">
      <div className="mr-section-head">
        <h2>Flows</h2>
        <span title={editReason || "Create a new flow"} className="mr-tip-wrap">
          <button className="mr-btn small" data-testid="new-flow-button" disabled={!!editReason} onClick={createFlow}>
            + New
          </button>
        </span>
      </div>
      <ul className="mr-flow-items">
        {showDraft && (
          <li className="mr-flow-item active" data-testid="flow-item-draft" title={`${currentName}\nnot saved yet`}>
            <span className="mr-flow-name">
              <span className="mr-flow-name-text">{currentName}</span>
            </span>
            <span className="mr-flow-meta">draft</span>
          </li>
        )}
        {flows.map((f) => {
          const active = f.id === currentId;
          const name = active ? currentName : f.name;
          return (
            <li
              key={f.id}
              className={`mr-flow-item${active ? " active" : ""}`}
              data-testid={`flow-item-${f.id}`}
              onClick={() => !active && void openFlow(f.id)}
              title={`${name}\n${f.id} · v${f.latestVersion}`}
            >
              {renaming === f.id ? (
                <input
                  autoFocus
                  className="mr-input small"
                  data-testid={`flow-rename-input-${f.id}`}
                  defaultValue={name}
                  onClick={(e) => e.stopPropagation()}
                  onKeyDown={(e) => {
                    if (e.key === "Enter") (e.target as HTMLInputElement).blur();
                    if (e.key === "Escape") setRenaming(null);
                  }}
                  onBlur={(e) => {
                    const v = e.target.value.trim();
                    setRenaming(null);
                    if (v && v !== name) void renameStoredFlow(f.id, v);
                  }}
                />
              ) : (
                <span className="mr-flow-name" onDoubleClick={() => !editReason && setRenaming(f.id)}>
                  {/* the text ellipsises (a flex item cannot); the dot stays visible after it */}
                  <FlowName id={f.id} name={name} />
                  {f.restricted && (
                    <span className="mr-muted" data-testid={`flow-restricted-${f.id}`} title="Restricted: only its owner, admins and those it is shared with see it">
                      <Icon name="lock" />
                    </span>
                  )}
                  {active && dirty && <span className="mr-dot" title="unsaved changes" />}
                </span>
              )}
              <span className="mr-flow-meta">v{f.latestVersion}</span>
              <span className="mr-flow-actions">
                <button
                  className="mr-icon"
                  data-testid={`flow-share-${f.id}`}
                  title="Sharing: who may see this flow"
                  onClick={(e) => {
                    e.stopPropagation();
                    openSharingDialog(f.id, name);
                  }}
                >
                  <Icon name="lock" />
                </button>
                <button
                  className="mr-icon"
                  data-testid={`flow-rename-${f.id}`}
                  title={editReason || (active ? "Rename (unsaved until you Save)" : "Rename (saves a new version)")}
                  disabled={!!editReason}
                  onClick={(e) => {
                    e.stopPropagation();
                    setRenaming(f.id);
                  }}
                >
                  <Icon name="edit" />
                </button>
                <button
                  className="mr-icon danger"
                  data-testid={`flow-delete-${f.id}`}
                  title={editReason || "Delete flow"}
                  disabled={!!editReason}
                  onClick={(e) => {
                    e.stopPropagation();
                    void deleteFlow(f.id, name);
                  }}
                >
                  <Icon name="trash" />
                </button>
              </span>
            </li>
          );
        })}
        {q.isError && (
          <li className="mr-flow-note" data-testid="flows-error" title={errorMessage(q.error)}>
            Engine not reachable: working on a local draft.
          </li>
        )}
        {q.isSuccess && flows.length === 0 && !showDraft && <li className="mr-flow-note">No flows yet.</li>}
      </ul>
      <SharingDialog />
    </section>
  );
}

/** The name shortened at its end when long, but a copy's "(copy)" stays in view: a cut copy would read as the original. */
function FlowName({ id, name }: { id: string; name: string }) {
  const { base, suffix } = splitCopySuffix(name);
  return (
    <>
      <span className="mr-flow-name-text" data-testid={`flow-item-name-${id}`} data-name={name}>
        {base}
        {suffix && <span className="mr-visually-hidden"> {suffix}</span>}
      </span>
      {suffix && (
        <span className="mr-flow-copy" aria-hidden data-testid={`flow-item-copy-${id}`}>
          {suffix}
        </span>
      )}
    </>
  );
}

function Palette() {
  const [query, setQuery] = useState("");
  const found = useMemo(() => searchSpecs(query), [query]);
  return (
    <section className="mr-palette" data-testid="palette">
      <div className="mr-section-head">
        <h2>Processors</h2>
      </div>
      <input
        className="mr-input"
        type="search"
        placeholder="Search processors…"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        data-testid="palette-search"
      />
      <div className="mr-palette-groups">
        {KINDS.map(({ kind, label }) => {
          const items = found.filter((s) => s.kind === kind);
          if (items.length === 0) return null;
          return (
            <div key={kind} className="mr-palette-group" data-testid={`palette-group-${kind}`}>
              <h3>
                <span className={`mr-kind-dot kind-${kind}`} /> {label}
              </h3>
              {items.map((s) => (
                <PaletteItem key={s.type} spec={s} />
              ))}
            </div>
          );
        })}
        {found.length === 0 && <div className="mr-flow-note">No processor matches “{query}”.</div>}
      </div>
    </section>
  );
}

function PaletteItem({ spec }: { spec: ProcessorSpec }) {
  return (
    <div
      className={`mr-palette-item kind-${spec.kind}`}
      draggable
      data-testid={`palette-${spec.type}`}
      title={`Drag onto the canvas to add ${spec.title}`}
      onDragStart={(e) => {
        e.dataTransfer.setData(DND_TYPE, spec.type);
        e.dataTransfer.setData("text/plain", spec.type);
        e.dataTransfer.effectAllowed = "copy";
      }}
    >
      <div className="mr-palette-title">
        {spec.title} <code>{spec.type}</code>
      </div>
      <div className="mr-palette-desc">{spec.description}</div>
    </div>
  );
}

function Icon({ name }: { name: "edit" | "trash" | "lock" }) {
  return (
    <svg width="13" height="13" viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" strokeLinejoin="round" aria-hidden>
      {name === "edit" ? (
        <path d="M10.5 2.5l3 3L6 13H3v-3l7.5-7.5z" />
      ) : name === "lock" ? (
        <path d="M4 7.5h8v6H4zM5.5 7.5V5a2.5 2.5 0 0 1 5 0v2.5" />
      ) : (
        <path d="M2.5 4h11M6 4V2.5h4V4M4 4l.7 9.5h6.6L12 4M6.7 6.5v5M9.3 6.5v5" />
      )}
    </svg>
  );
}
