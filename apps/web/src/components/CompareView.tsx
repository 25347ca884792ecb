/**
 * Compare mode's controls: the picker of two versions (or a version and the editor) in the
 * history panel, the strip above the canvas while a comparison is drawn, and the full list of
 * what differs beside it.
 */
import { useState, type ReactNode } from "react";
import { describeDiff, formatFieldChange, type DiffStatus, type FieldChange } from "@millrace/flow";
import { errorMessage } from "../api/client";
import { versionDoc } from "../api/versionDoc";
import { useDirty, useFlowStore } from "../store/flowStore";
import { ui } from "../store/uiStore";
import { startCompare, stopCompare, useComparison, type CompareSide } from "../store/compareStore";
import { FieldChangeList } from "./DiffMark";

/** "editor", or a saved version's number */
type Pick = number | "editor";

async function sideOf(flowId: string, pick: Pick): Promise<CompareSide> {
  if (pick === "editor") return { label: "the editor", doc: useFlowStore.getState().doc };
  return { label: `v${pick}`, doc: await versionDoc(flowId, pick) };
}

/** Compares two picks, the newer (the editor is newest) drawn on the canvas. */
export async function compare(flowId: string, a: Pick, b: Pick) {
  const [older, newer] = a === "editor" || (b !== "editor" && a > b) ? [b, a] : [a, b];
  try {
    const [o, n] = await Promise.all([sideOf(flowId, older), sideOf(flowId, newer)]);
    // the editor's document is no saved version: 0 marks no row of the history as the one viewed
    startCompare(o, n, newer === "editor" ? 0 : newer);
  } catch (e) {
    ui.toast(`Could not compare: ${errorMessage(e)}`, "error");
  }
}

/** "Compare [v1] with [the editor]" above the version list. */
export function ComparePicker({ versions, deployedVersion }: { versions: number[]; deployedVersion: number | null }) {
  const flowId = useFlowStore((s) => s.doc.id);
  const baseVersion = useFlowStore((s) => s.baseVersion);
  const dirty = useDirty();
  const [from, setFrom] = useState<Pick | null>(null);
  const [to, setTo] = useState<Pick | null>(null);
  const [busy, setBusy] = useState(false);
  const latest = versions[0];
  if (latest === undefined) return null;
  // by default: unsaved changes against what runs (or the version before), else the latest save against them
  const b = to ?? (dirty ? "editor" : latest);
  const a = from ?? (deployedVersion !== null && deployedVersion !== b ? deployedVersion : (versions[b === "editor" ? 0 : 1] ?? latest));
  const parse = (v: string): Pick => (v === "editor" ? "editor" : Number(v));
  const options = (
    <>
      <option value="editor">the editor{baseVersion !== undefined ? ` (from v${baseVersion})` : ""}</option>
      {versions.map((v) => (
        <option key={v} value={v}>
          v{v}
          {v === deployedVersion ? " (deployed)" : ""}
        </option>
      ))}
    </>
  );
  return (
    <div className="mr-compare-picker" data-testid="compare-picker">
      <label>
        Compare{" "}
        <select data-testid="compare-from" value={String(a)} onChange={(e) => setFrom(parse(e.target.value))}>
          {options}
        </select>
      </label>{" "}
      <label>
        with{" "}
        <select data-testid="compare-to" value={String(b)} onChange={(e) => setTo(parse(e.target.value))}>
          {options}
        </select>
      </label>{" "}
      <button
        className="mr-btn small"
        data-testid="compare-start"
        disabled={busy || a === b}
        title={a === b ? "Pick two different versions" : "Draw the newer one on the canvas with what changed marked"}
        onClick={async () => {
          setBusy(true);
          await compare(flowId, a, b);
          setBusy(false);
        }}
      >
        Compare
      </button>
    </div>
  );
}

const STATUS_WORD: Record<DiffStatus, string> = { added: "added", changed: "changed", removed: "removed" };

function counts(statuses: DiffStatus[]): string {
  return (["added", "changed", "removed"] as const)
    .map((s) => [s, statuses.filter((x) => x === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${STATUS_WORD[s]}`)
    .join(" · ");
}

/** The strip above the canvas while a comparison is drawn. */
export function CompareBar() {
  const c = useComparison();
  if (!c) return null;
  const nodeCounts = counts(c.diff.nodes.map((n) => n.status));
  const edgeCounts = counts(c.diff.edges.map((e) => e.status));
  return (
    <div className="mr-preview-bar mr-compare-bar" role="status" data-testid="compare-bar">
      <span className="mr-preview-text" title={`What turns ${c.older.label} into ${c.newer.label}; ${c.newer.label} is drawn, read-only`}>
        Comparing <b>{c.older.label}</b> → <b>{c.newer.label}</b>
        <span className="mr-compare-counts" data-testid="compare-counts">
          {nodeCounts ? ` · nodes: ${nodeCounts}` : ""}
          {edgeCounts ? ` · connections: ${edgeCounts}` : ""}
          {!nodeCounts && !edgeCounts ? " · no node or connection differs" : ""}
        </span>
      </span>
      <span className="mr-compare-legend" aria-hidden="true">
        <span className="mr-diff-tag added">added</span>
        <span className="mr-diff-tag changed">changed</span>
        <span className="mr-diff-tag removed">removed</span>
      </span>
      <span className="mr-preview-actions">
        <button className="mr-btn small" data-testid="compare-close" onClick={stopCompare} title="Back to editing (Esc)">
          Leave compare
        </button>
      </span>
    </div>
  );
}

const MARK: Record<DiffStatus, string> = { added: "+", removed: "−", changed: "~" };

interface DiffItem {
  key: string;
  status: DiffStatus;
  label: ReactNode;
  changes: readonly FieldChange[];
}

/** One list of what differs (nodes, edges, parameters), a changed one's fields under it. */
function DiffList({ items, testId, itemTestId }: { items: DiffItem[]; testId?: string; itemTestId: string }) {
  if (!items.length) return null;
  return (
    <ul className="mr-compare-list" data-testid={testId}>
      {items.map((it) => (
        <li key={it.key} data-testid={`${itemTestId}-${it.key}`} data-diff={it.status}>
          <span className={`mr-diff-sign ${it.status}`}>{MARK[it.status]}</span> {it.label}
          {it.changes.length > 0 && <FieldChangeList changes={it.changes} />}
        </li>
      ))}
    </ul>
  );
}

/** Everything that differs, in the history panel beside the drawn comparison. */
export function CompareSummary() {
  const c = useComparison();
  if (!c) return null;
  const { diff } = c;
  const lines = describeDiff(diff);
  return (
    <div className="mr-diff mr-compare-summary" data-testid="compare-summary">
      <strong>
        {c.older.label} → {c.newer.label}
      </strong>
      {lines.length === 0 && <div className="mr-muted">no differences</div>}
      <DiffList
        testId="compare-nodes"
        itemTestId="compare-node"
        items={diff.nodes.map((n) => ({
          key: n.id,
          status: n.status,
          changes: n.changes,
          label: (
            <>
              <b>{n.name ?? n.id}</b> <span className="mr-muted">{n.type} · {n.id}</span>
            </>
          ),
        }))}
      />
      <DiffList testId="compare-edges" itemTestId="compare-edge" items={diff.edges.map((e) => ({ key: e.id, status: e.status, changes: e.changes, label: `${e.from.node}.${e.from.port} → ${e.to.node}` }))} />
      <DiffList itemTestId="compare-parameter" items={diff.parameters.map((p) => ({ key: p.name, status: p.status, changes: p.changes, label: `parameter ${p.name}` }))} />
      {diff.flow.length > 0 && (
        <ul className="mr-compare-list">
          {diff.flow.map((f) => (
            <li key={f.path}>
              <span className="mr-diff-sign changed">~</span> flow {formatFieldChange(f)}
            </li>
          ))}
        </ul>
      )}
      {diff.nodesMoved.length > 0 && <div className="mr-muted small">{diff.nodesMoved.length} node{diff.nodesMoved.length === 1 ? "" : "s"} moved</div>}
    </div>
  );
}
