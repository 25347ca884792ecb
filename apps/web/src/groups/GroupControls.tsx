import { useEffect, useState } from "react";
import { Panel } from "@xyflow/react";
import type { FlowGroup } from "@millrace/flow";
import { useFlowStore } from "../store/flowStore";
import { useUiStore } from "../store/uiStore";
import { isEditable } from "../keyboard";
import { GROUP_COLORS, groupActions } from "./groupActions";
import { useGroupStore } from "./groupStore";
import { templateUi } from "../templates/templateStore";

/** The way into the opened group: "Flow › Outer › Inner", each a way back. */
export function GroupBreadcrumbs({ path }: { path: readonly FlowGroup[] }) {
  if (path.length === 0) return null;
  return (
    <Panel position="top-right" className="mr-group-crumbs" data-testid="group-breadcrumbs">
      <button type="button" data-testid="crumb-flow" onClick={() => groupActions.open(undefined)}>
        Flow
      </button>
      {path.map((g, i) => (
        <span key={g.id}>
          <span className="mr-crumb-sep">›</span>
          {i === path.length - 1 ? (
            <strong data-testid={`crumb-${g.id}`}>{g.name}</strong>
          ) : (
            <button type="button" data-testid={`crumb-${g.id}`} onClick={() => groupActions.open(g.id)}>
              {g.name}
            </button>
          )}
        </span>
      ))}
    </Panel>
  );
}

/** The selected group's settings: name, colour, collapse, open, ungroup. */
export function GroupInspector({ readOnly }: { readOnly: boolean }) {
  const selected = useGroupStore((s) => s.selected);
  const group = useFlowStore((s) => (selected.length === 1 ? s.doc.groups?.find((g) => g.id === selected[0]) : undefined));
  const [name, setName] = useState(group?.name ?? "");
  useEffect(() => setName(group?.name ?? ""), [group?.id, group?.name]);
  if (!group || readOnly) return null;
  const commitName = () => {
    if (name.trim() && name.trim() !== group.name) groupActions.rename(group.id, name);
    else setName(group.name);
  };
  return (
    <Panel position="bottom-center" className="mr-group-inspector" data-testid="group-inspector">
      <input
        aria-label="Group name"
        data-testid="group-rename"
        value={name}
        maxLength={200}
        onChange={(e) => setName(e.target.value)}
        onBlur={commitName}
        onKeyDown={(e) => {
          if (e.key === "Enter") (e.target as HTMLInputElement).blur();
          if (e.key === "Escape") setName(group.name);
        }}
      />
      <span className="mr-group-colors" role="radiogroup" aria-label="Group colour">
        {GROUP_COLORS.map((c) => (
          <button
            key={c}
            type="button"
            role="radio"
            aria-checked={(group.color ?? GROUP_COLORS[0]) === c}
            aria-label={`colour ${c}`}
            data-testid={`group-color-${c.slice(1)}`}
            className="mr-group-swatch"
            style={{ background: c }}
            onClick={() => groupActions.setColor(group.id, c)}
          />
        ))}
      </span>
      <button type="button" data-testid="group-toggle-collapse" onClick={() => groupActions.setCollapsed(group.id, !group.collapsed)}>
        {group.collapsed ? "Expand" : "Collapse"}
      </button>
      <button type="button" data-testid="group-open" onClick={() => groupActions.open(group.id)}>
        Open
      </button>
      <button type="button" data-testid="group-ungroup" title="Ungroup (Ctrl+Shift+G)" onClick={() => groupActions.ungroupSelection()}>
        Ungroup
      </button>
      <button type="button" data-testid="group-save-template" title="Save this group as a reusable template (or a new version of one)" onClick={() => templateUi.askSave(group.id)}>
        Save as template…
      </button>
    </Panel>
  );
}

/** The toolbar's Group button: the selected nodes (and groups) into a new group. */
export function GroupButton({ readOnly }: { readOnly: boolean }) {
  const count = useFlowStore((s) => s.selection.nodes.length) + useGroupStore((s) => s.selected.length);
  return (
    <button data-testid="group-button" disabled={readOnly || count === 0} title="Group the selection (Ctrl+G); Ctrl+Shift+G ungroups" onClick={() => groupActions.groupSelection()}>
      Group
    </button>
  );
}

/** Ctrl+G groups the selection, Ctrl+Shift+G ungroups the selected groups. */
export function useGroupKeyboard(readOnly: boolean) {
  useEffect(() => {
    if (readOnly) return;
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || e.key.toLowerCase() !== "g" || isEditable(e.target)) return;
      const modal = useUiStore.getState();
      if (modal.helpOpen || modal.importOpen || modal.preview) return;
      const done = e.shiftKey ? groupActions.ungroupSelection() : groupActions.groupSelection();
      if (done) e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [readOnly]);
}
