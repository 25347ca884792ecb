import { useState } from "react";
import type { TestCase } from "@millrace/flow";
import { friendlyError, trpc } from "../api/client";
import { useRole } from "../auth/authStore";
import { roleReason } from "../auth/roles";
import { getSpec } from "../catalog/specs";
import { caseFromTap, newCase, parseCase, type TappedRecord } from "../flowTests/cases";
import { prettyJson } from "../provenance/prettyJson";
import { flowActions, useFlowStore } from "../store/flowStore";
import { ui } from "../store/uiStore";

type RunResult = Awaited<ReturnType<typeof trpc.flows.runTests.mutate>>;
type CaseResult = RunResult["cases"][number];

const isSource = (type: string) => getSpec(type)?.kind === "source";
const json = (v: unknown) => prettyJson(v ?? null, 24);
/** one column of expected vs actual: long values wrap inside it rather than widen the panel */
const SIDE = { margin: 0, overflow: "auto", maxHeight: 240, whiteSpace: "pre-wrap", overflowWrap: "anywhere", fontSize: 11 } as const;

/** "Save these as a test case" (tap panel): the case is added and shown in the flow's Tests tab. */
export function saveTappedAsCase(from: { node: string; port: string }, records: readonly TappedRecord[]): void {
  const doc = useFlowStore.getState().doc;
  const c = caseFromTap(doc, from, records, isSource);
  flowActions.setTests([...(doc.tests ?? []), c]);
  flowActions.select({ nodes: [], edges: [] });
  ui.flowTab("tests");
  ui.toast(`Test case "${c.name}" added with ${records.length} record${records.length === 1 ? "" : "s"}: edit it, run it, save the flow to keep it`, "success");
}

/**
 * The flow's test cases: listed, run on the engine (headless: nothing deployed, no connection
 * opened) with pass/fail per case and expected vs actual side by side, edited as JSON text.
 * Cases are part of the document: saving the flow keeps them.
 */
export function TestsPanel() {
  const doc = useFlowStore((s) => s.doc);
  const tests = doc.tests ?? [];
  const editReason = roleReason(useRole(), "edit");
  const [results, setResults] = useState<Record<string, CaseResult>>({});
  const [running, setRunning] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);

  const run = async (only?: string) => {
    setRunning(only ?? "*");
    setError(null);
    try {
      const r = await trpc.flows.runTests.mutate({ id: doc.id, document: doc, ...(only === undefined ? {} : { case: only }) });
      setResults((cur) => ({ ...(only === undefined ? {} : cur), ...Object.fromEntries(r.cases.map((c) => [c.name, c])) }));
    } catch (e) {
      setError(friendlyError(e, "the test cases"));
    } finally {
      setRunning(null);
    }
  };

  const replace = (name: string, next: TestCase | null) => {
    flowActions.setTests(next ? tests.map((t) => (t.name === name ? next : t)) : tests.filter((t) => t.name !== name));
    setResults(({ [name]: _gone, ...rest }) => rest);
  };

  const add = () => {
    const c = newCase(doc, isSource);
    flowActions.setTests([...tests, c]);
    setEditing(c.name);
  };

  const shown = tests.filter((t) => results[t.name]);
  const failed = shown.filter((t) => !results[t.name]!.passed).length;
  return (
    <div className="mr-tests" data-testid="tests-panel">
      <div className="mr-section-head">
        <h3>Test cases</h3>
        <span className="mr-tap-actions">
          <button className="mr-btn small" data-testid="tests-new" disabled={!!editReason} title={editReason || "Add a case (edited as JSON)"} onClick={add}>
            + New case
          </button>
          <button className="mr-btn small primary" data-testid="tests-run" disabled={!tests.length || running !== null || !!editReason} title={editReason || "Run every case on the engine: nothing is deployed"} onClick={() => void run()}>
            {running === "*" ? "Running…" : "Run all"}
          </button>
        </span>
      </div>
      <p className="mr-muted small">
        Each case feeds records to sources and checks what comes out of nodes (<code>node</code> or <code>node.port</code>). They run headless on the engine: nothing is deployed, database and HTTP nodes pass their records through. Save the flow to keep them;{" "}
        <code>pnpm millrace flow test FILE</code> runs an exported flow's cases.
      </p>
      {error && (
        <div className="mr-field-error block" data-testid="tests-error">
          {error}
        </div>
      )}
      {shown.length > 0 && (
        <p className={failed ? "mr-field-error" : "mr-muted"} data-testid="tests-summary">
          {shown.length - failed} passed, {failed} failed
        </p>
      )}
      {!tests.length && <p className="mr-muted" data-testid="tests-empty">No test cases yet. Add one, or tap an edge and save its records as a case.</p>}
      {tests.map((t) => (
        <CaseView
          key={t.name}
          test={t}
          result={results[t.name]}
          running={running === t.name || running === "*"}
          editing={editing === t.name}
          editReason={editReason}
          onRun={() => void run(t.name)}
          onEdit={(on) => setEditing(on ? t.name : null)}
          onSave={(next) => {
            if (next.name !== t.name && tests.some((o) => o.name === next.name)) return `a case named "${next.name}" exists`;
            replace(t.name, next);
            setEditing(null);
            return null;
          }}
          onDelete={() => replace(t.name, null)}
        />
      ))}
    </div>
  );
}

interface CaseViewProps {
  test: TestCase;
  result: CaseResult | undefined;
  running: boolean;
  editing: boolean;
  editReason: string;
  onRun(): void;
  onEdit(on: boolean): void;
  /** an error to show, or null when saved */
  onSave(next: TestCase): string | null;
  onDelete(): void;
}

function CaseView({ test, result, running, editing, editReason, onRun, onEdit, onSave, onDelete }: CaseViewProps) {
  const status = result ? (result.passed ? "pass" : "fail") : "not-run";
  return (
    <div className="mr-test-case" data-testid="test-case" data-name={test.name} data-status={status} style={{ borderTop: "1px solid var(--border, #ddd)", padding: "6px 0" }}>
      <div className="mr-section-head">
        <span>
          <span className={`mr-chip ${status}`} data-testid="test-case-status" style={{ color: status === "fail" ? "#b42318" : status === "pass" ? "#067647" : undefined, fontWeight: 600 }}>
            {status === "pass" ? "PASS" : status === "fail" ? "FAIL" : "—"}
          </span>{" "}
          <b data-testid="test-case-name">{test.name}</b>
          {result && <span className="mr-muted small"> {result.durationMs} ms</span>}
        </span>
        <span className="mr-tap-actions">
          <button className="mr-btn small ghost" data-testid="test-case-run" disabled={running || !!editReason} onClick={onRun}>
            {running ? "Running…" : "Run"}
          </button>
          <button className="mr-btn small ghost" data-testid="test-case-edit" disabled={!!editReason} onClick={() => onEdit(!editing)}>
            {editing ? "Close" : "Edit"}
          </button>
          <button className="mr-btn small ghost danger" data-testid="test-case-delete" disabled={!!editReason} title="Remove this case" onClick={onDelete}>
            Delete
          </button>
        </span>
      </div>
      {editing && <CaseEditor test={test} onSave={onSave} onCancel={() => onEdit(false)} />}
      {result && !result.passed && <CaseFailure result={result} />}
      {result && result.stubbed.length > 0 && <p className="mr-muted small">Passed through, not run: {result.stubbed.join(", ")}</p>}
    </div>
  );
}

function CaseEditor({ test, onSave, onCancel }: { test: TestCase; onSave(next: TestCase): string | null; onCancel(): void }) {
  const [text, setText] = useState(() => JSON.stringify(test, null, 2));
  const [errors, setErrors] = useState<string[]>([]);
  const save = () => {
    const parsed = parseCase(text);
    if (!parsed.ok) return setErrors(parsed.errors);
    const refused = onSave(parsed.value);
    setErrors(refused ? [refused] : []);
  };
  return (
    <div className="mr-field">
      <textarea
        className="mr-input mr-code"
        data-testid="test-case-json"
        aria-label={`Test case ${test.name} as JSON`}
        spellCheck={false}
        rows={Math.min(24, Math.max(8, text.split("\n").length + 1))}
        value={text}
        onChange={(e) => setText(e.target.value)}
        style={{ width: "100%", fontFamily: "monospace", fontSize: 12 }}
      />
      {errors.length > 0 && (
        <ul className="mr-field-error block" data-testid="test-case-errors">
          {errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
      <div className="mr-tap-actions">
        <button className="mr-btn small primary" data-testid="test-case-save" onClick={save}>
          Apply
        </button>
        <button className="mr-btn small ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

function CaseFailure({ result }: { result: CaseResult }) {
  return (
    <div data-testid="test-case-failure">
      {result.error && (
        <div className="mr-field-error block" data-testid="test-case-error">
          {result.error}
        </div>
      )}
      {result.mismatches.map((m, i) => (
        <div key={i} className="mr-test-mismatch" data-testid="test-mismatch">
          <div className="small">
            <code>{m.path}</code>: {m.message}
          </div>
          <div style={{ display: "grid", gridTemplateColumns: "minmax(0, 1fr) minmax(0, 1fr)", gap: 6 }}>
            <div>
              <div className="mr-muted small">Expected</div>
              <pre className="mr-code" data-testid="test-expected" style={SIDE}>
                {json(m.expected)}
              </pre>
            </div>
            <div>
              <div className="mr-muted small">Actual</div>
              <pre className="mr-code" data-testid="test-actual" style={SIDE}>
                {json(m.actual)}
              </pre>
            </div>
          </div>
        </div>
      ))}
    </div>
  );
}
