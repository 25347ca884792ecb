import { useMemo, useRef, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import { ui, useUiStore } from "../store/uiStore";
import { flowsKey, importFlow } from "../session";
import { describeOutcome, importOutcome } from "../doc/importOutcome";

export const SHORTCUTS: [string, string][] = [
  ["Drag from palette", "Add a processor"],
  ["Drag port → port", "Connect (output on the right, input on the left)"],
  ["Click / Ctrl+click", "Select / add to selection"],
  ["Shift + drag", "Box-select"],
  ["Delete / Backspace", "Delete selection"],
  ["Ctrl+C / Ctrl+X / Ctrl+V", "Copy / cut / paste (also into another flow)"],
  ["Ctrl+D", "Duplicate selection"],
  ["Ctrl+A", "Select all"],
  ["Ctrl+G / Ctrl+Shift+G", "Group the selection / ungroup the selected group"],
  ["Double-click a group", "Open it (breadcrumbs lead back)"],
  ["Ctrl+Z", "Undo"],
  ["Ctrl+Shift+Z / Ctrl+Y", "Redo"],
  ["Ctrl+S", "Save"],
  ["Ctrl+Shift+S / Shift+click Save", "Save with a message (shown in History)"],
  ["F", "Fit view"],
  ["L", "Auto-layout"],
  ["G", "Snap to grid on/off"],
  ["M", "Overview (minimap) on/off"],
  ["Esc", "Clear selection / close"],
  ["?", "This help"],
];

export function HelpOverlay() {
  const open = useUiStore((s) => s.helpOpen);
  if (!open) return null;
  return (
    <div className="mr-modal-back" onClick={() => ui.help(false)}>
      <div className="mr-modal" role="dialog" aria-label="Keyboard shortcuts" data-testid="help-overlay" onClick={(e) => e.stopPropagation()}>
        <div className="mr-modal-head">
          <h2>Keyboard shortcuts</h2>
          <button className="mr-icon" data-testid="help-close" onClick={() => ui.help(false)} aria-label="Close">
            ✕
          </button>
        </div>
        <table className="mr-shortcuts">
          <tbody>
            {SHORTCUTS.map(([k, v]) => (
              <tr key={k}>
                <td>
                  {k.split(" / ").map((part, i) => (
                    <span key={i}>
                      {i > 0 && " / "}
                      <kbd>{part}</kbd>
                    </span>
                  ))}
                </td>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="mr-muted small">On macOS, ⌘ works wherever Ctrl is listed.</p>
      </div>
    </div>
  );
}

export function ImportDialog() {
  const open = useUiStore((s) => s.importOpen);
  if (!open) return null;
  return <ImportDialogBody />;
}

function ImportDialogBody() {
  const [text, setText] = useState("");
  const [asCopy, setAsCopy] = useState(false);
  const [errors, setErrors] = useState<string[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [fileName, setFileName] = useState<string | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  // the list the sidebar shows (same cache): whether the file's id is taken, by what
  const flows = useQuery({ queryKey: flowsKey, queryFn: api.flows.list, staleTime: 0 });
  const outcome = useMemo(() => importOutcome(text, asCopy, flows.data ?? []), [text, asCopy, flows.data]);
  const said = describeOutcome(outcome);
  const close = () => {
    ui.importDialog(false);
    setErrors(null);
    setText("");
    setFileName(null);
  };
  return (
    <div className="mr-modal-back" onClick={close}>
      <div className="mr-modal wide" role="dialog" aria-label="Import a flow" data-testid="import-dialog" onClick={(e) => e.stopPropagation()}>
        <div className="mr-modal-head">
          <h2>Import a flow</h2>
          <button className="mr-icon" onClick={close} aria-label="Close" data-testid="import-close">
            ✕
          </button>
        </div>
        <div className="mr-import-file">
          {/* a button of ours: the native one repeats the file name the line beside it already gives */}
          <button type="button" className="mr-btn small" onClick={() => fileRef.current?.click()} data-testid="import-choose">
            Choose a file…
          </button>
          <input
            ref={fileRef}
            type="file"
            hidden
            accept=".json,application/json"
            data-testid="import-file"
            onChange={async (e) => {
              const f = e.target.files?.[0];
              if (!f) return;
              setFileName(f.name);
              setText(await f.text());
              setErrors(null);
            }}
          />
          <span className="mr-muted small">{fileName ? `Loaded ${fileName}` : "Choose a .flow.json file, or paste its text below."}</span>
        </div>
        <textarea
          className="mr-input mono"
          rows={12}
          placeholder='{ "schemaVersion": 1, "id": "…", "name": "…", "nodes": [], "edges": [] }'
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setErrors(null);
          }}
          data-testid="import-text"
          spellCheck={false}
        />
        <label className="mr-check">
          <input type="checkbox" checked={asCopy} onChange={(e) => setAsCopy(e.target.checked)} data-testid="import-as-copy" />
          Import as a copy (new id; keeps an existing flow with the same id untouched)
        </label>
        {said && (
          <p className={`mr-import-outcome${outcome.kind === "new-version" ? " replaces" : ""}`} data-testid="import-outcome" data-outcome={outcome.kind}>
            {said}
          </p>
        )}
        {errors && errors.length > 0 && (
          <div className="mr-import-errors" role="alert" data-testid="import-errors">
            <strong>Nothing was imported. Fix these and try again:</strong>
            <ul>
              {errors.map((e, i) => {
                const m = /^([^\s:]+(?:\[\d+\])*(?:\.[^\s:]+)*):\s*(.*)$/.exec(e);
                return (
                  <li key={i} data-testid="import-error">
                    {m ? (
                      <>
                        <code className="mr-path">{m[1]}</code>
                        {`: ${m[2]}`}
                      </>
                    ) : (
                      e
                    )}
                  </li>
                );
              })}
            </ul>
          </div>
        )}
        <div className="mr-modal-foot">
          <button className="mr-btn ghost" onClick={close}>
            Cancel
          </button>
          <button
            className="mr-btn primary"
            data-testid="import-submit"
            disabled={busy || !text.trim()}
            onClick={async () => {
              setBusy(true);
              const errs = await importFlow(text, outcome);
              setBusy(false);
              if (errs) setErrors(errs);
              else close();
            }}
          >
            {busy ? "Importing…" : outcome.kind === "new-version" ? `Import as version ${outcome.version}` : outcome.kind === "copy" ? "Import as a copy" : "Import"}
          </button>
        </div>
      </div>
    </div>
  );
}

export function Toasts() {
  const toasts = useUiStore((s) => s.toasts);
  return (
    <div className="mr-toasts" aria-live="polite" data-testid="toasts">
      {toasts.map((t) => (
        <div key={t.id} className={`mr-toast ${t.kind}`} data-testid={`toast-${t.kind}`} onClick={() => ui.dismiss(t.id)}>
          {t.text}
        </div>
      ))}
    </div>
  );
}
