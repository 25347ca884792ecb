/**
 * A node's mark in compare mode: "added" / "removed", or for a changed node a button naming how
 * many fields changed whose popup lists them old → new (on hover, keyboard focus, or pinned by a
 * click).
 */
import { useState } from "react";
import { formatDiffValue, type FieldChange, type NodeDiff } from "@millrace/flow";

export function FieldChangeList({ changes, testId }: { changes: readonly FieldChange[]; testId?: string }) {
  return (
    <ul className="mr-field-changes" data-testid={testId}>
      {changes.map((c) => (
        <li key={c.path} data-testid="field-change" data-path={c.path}>
          <code className="mr-field-path">{c.path}</code>{" "}
          {c.secret ? (
            <span className="mr-muted">(secret {c.kind === "changed" ? "changed" : c.kind})</span>
          ) : (
            <>
              <span className="mr-field-old">{formatDiffValue(c.from)}</span> → <span className="mr-field-new">{formatDiffValue(c.to)}</span>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

export function DiffMark({ id, diff }: { id: string; diff: NodeDiff }) {
  const [pinned, setPinned] = useState(false);
  if (diff.status !== "changed") {
    return (
      <span className={`mr-diff-tag ${diff.status}`} data-testid={`node-diff-${id}`} data-diff={diff.status}>
        {diff.status === "added" ? "added" : "removed"}
      </span>
    );
  }
  const n = diff.changes.length;
  const tipId = `node-diff-tip-${id}`;
  return (
    <span className={`mr-diff-wrap${pinned ? " pinned" : ""}`}>
      <button
        type="button"
        className="mr-diff-tag changed nodrag"
        data-testid={`node-diff-${id}`}
        data-diff="changed"
        aria-expanded={pinned}
        aria-describedby={tipId}
        onClick={(e) => {
          e.stopPropagation();
          setPinned((p) => !p);
        }}
      >
        ~ {n} field{n === 1 ? "" : "s"}
      </button>
      <span role="tooltip" id={tipId} className="mr-diff-tip nodrag nowheel" data-testid={`node-diff-tip-${id}`}>
        <FieldChangeList changes={diff.changes} />
      </span>
    </span>
  );
}
