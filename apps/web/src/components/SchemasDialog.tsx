/**
 * The Schemas page: the subjects of the engine's schema registry, their versions and
 * compatibility levels, each version's schema with what changed since the one before, and
 * registering a new version after the registry has checked it. Viewers read; editors change.
 */
import { useState } from "react";
import { create } from "zustand";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@millrace/engine/api/router";
import { errorMessage, trpc } from "../api/client";
import { useRole } from "../auth/authStore";
import { roleReason } from "../auth/roles";
import { ui } from "../store/uiStore";
import { describeChange, diffSchemas, type FieldChange } from "../schemas/schemaDiff";
import { COMPATIBILITY_LEVELS, COMPATIBILITY_MEANING, filterSubjects, isCompatibilityLevel, parseSchemaText, parsedOrUndefined, prettySchema } from "../schemas/schemaText";
import { checkBlockedReason, checkHeadline, registerBlockedReason, type CheckedText, type CompatibilityCheck } from "../schemas/registerForm";

type SubjectRow = inferRouterOutputs<AppRouter>["schemaRegistry"]["subjects"][number];

const subjectsKey = ["schemaRegistry", "subjects"];
const schemaKey = (subject: string, version: number) => ["schemaRegistry", "schema", subject, version];

/** What the right side shows: a subject (and which of its versions), or the form of a new subject. */
type Selection = { kind: "subject"; subject: string; version?: number } | { kind: "new" } | { kind: "none" };
export const useSchemasDialog = create<{ open: boolean; selection: Selection }>(() => ({ open: false, selection: { kind: "none" } }));
export const openSchemasDialog = () => useSchemasDialog.setState({ open: true });
const select = (selection: Selection) => useSchemasDialog.setState({ selection });
const close = () => useSchemasDialog.setState({ open: false });

export function SchemasDialog() {
  const open = useSchemasDialog((s) => s.open);
  if (!open) return null;
  return (
    <div className="mr-modal-back" onClick={close}>
      <div className="mr-modal wide mr-schemas-modal" role="dialog" aria-label="Schemas" data-testid="schemas-dialog" onClick={(e) => e.stopPropagation()}>
        <div className="mr-modal-head">
          <h2>Schemas</h2>
          <button className="mr-icon" data-testid="schemas-close" onClick={close} aria-label="Close">
            ✕
          </button>
        </div>
        <SchemasPage />
      </div>
    </div>
  );
}

function SchemasPage() {
  const selection = useSchemasDialog((s) => s.selection);
  const registerReason = roleReason(useRole(), "registerSchemas");
  const [search, setSearch] = useState("");
  const subjects = useQuery({ queryKey: subjectsKey, queryFn: () => trpc.schemaRegistry.subjects.query(), staleTime: 5_000 });
  const shown = filterSubjects(subjects.data ?? [], search);
  const selected = selection.kind === "subject" ? subjects.data?.find((s) => s.subject === selection.subject) : undefined;

  return (
    <div className="mr-schemas" data-testid="schemas-panel">
      <nav className="mr-schemas-list" aria-label="Subjects">
        <input
          className="mr-input small"
          data-testid="schemas-search"
          aria-label="Search subjects"
          placeholder="Search subjects…"
          spellCheck={false}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <span className="mr-tip-wrap" title={registerReason || "Register the first version of a subject (e.g. orders-value)"}>
          <button className="mr-btn small" data-testid="schemas-new-subject" disabled={!!registerReason} onClick={() => select({ kind: "new" })}>
            + New subject
          </button>
        </span>
        {subjects.error ? (
          <div className="mr-field-error block" data-testid="schemas-error">
            {errorMessage(subjects.error)}
          </div>
        ) : (
          <ul className="mr-schemas-subjects" data-testid="schemas-subjects">
            {shown.map((s) => (
              <li key={s.subject}>
                <button
                  className="mr-schemas-subject"
                  data-testid={`schema-subject-${s.subject}`}
                  aria-current={selected?.subject === s.subject}
                  title={`${s.subject}: versions ${s.versions.join(", ")}; compatibility ${s.compatibility}`}
                  onClick={() => select({ kind: "subject", subject: s.subject })}
                >
                  <span className="mr-schemas-subject-name">{s.subject}</span>
                  <span className="mr-muted small" data-testid={`schema-subject-latest-${s.subject}`}>
                    v{s.versions[s.versions.length - 1]} · {s.compatibility}
                  </span>
                </button>
              </li>
            ))}
            {subjects.data && shown.length === 0 && (
              <li className="mr-muted small">{subjects.data.length === 0 ? "No subjects yet." : "No subject matches."}</li>
            )}
          </ul>
        )}
      </nav>
      <section className="mr-schemas-detail">
        {selected ? (
          <SubjectView key={selected.subject} row={selected} version={selection.kind === "subject" ? selection.version : undefined} registerReason={registerReason} />
        ) : selection.kind === "new" ? (
          <RegisterForm key="new" existing={subjects.data?.map((s) => s.subject)} registerReason={registerReason} />
        ) : (
          <p className="mr-muted" data-testid="schemas-hint">
            Pick a subject to see its versions, or register a new one. Producers and consumers reach this registry at <code>{`${window.location.origin}/schema-registry`}</code>.
          </p>
        )}
      </section>
    </div>
  );
}

function useSchema(subject: string, version: number | undefined) {
  return useQuery({
    queryKey: schemaKey(subject, version ?? 0),
    queryFn: () => trpc.schemaRegistry.schema.query({ subject, version: version! }),
    enabled: version !== undefined,
    // a registered version never changes
    staleTime: Infinity,
  });
}

function SubjectView({ row, version, registerReason }: { row: SubjectRow; version: number | undefined; registerReason: string }) {
  const latest = row.versions[row.versions.length - 1];
  const shownVersion = version !== undefined && row.versions.includes(version) ? version : latest;
  const previousVersion = shownVersion === undefined ? undefined : row.versions[row.versions.indexOf(shownVersion) - 1];
  const schema = useSchema(row.subject, shownVersion);
  const previous = useSchema(row.subject, previousVersion);
  const latestSchema = useSchema(row.subject, latest);

  return (
    <div className="mr-schemas-subject-view" data-testid="schema-subject-view" data-subject={row.subject}>
      <div className="mr-form-row">
        <h3 className="mr-grow mr-schemas-title">{row.subject}</h3>
        <CompatibilitySelect subject={row.subject} level={row.compatibility} />
      </div>
      <div className="mr-tabs" role="tablist" aria-label="Versions">
        {row.versions.map((v) => (
          <button key={v} role="tab" className="mr-tab" data-testid={`schema-version-${v}`} aria-selected={v === shownVersion} onClick={() => select({ kind: "subject", subject: row.subject, version: v })}>
            v{v}
          </button>
        ))}
      </div>
      {schema.error ? (
        <div className="mr-field-error block">{errorMessage(schema.error)}</div>
      ) : schema.data ? (
        <>
          <div className="mr-muted small" data-testid="schema-version-info">
            Version <b data-testid="schema-version-number">{schema.data.version}</b> · schema id <b data-testid="schema-id">{schema.data.id}</b>
          </div>
          <div className="mr-schemas-columns">
            <pre className="mr-schemas-text" data-testid="schema-text" aria-label={`Schema of version ${schema.data.version}`}>
              {prettySchema(schema.data.schema)}
            </pre>
            <SchemaDiff
              title={previousVersion === undefined ? "First version" : `Changes since v${previousVersion}`}
              changes={previousVersion === undefined ? [] : previous.data ? diffSchemas(parsedOrUndefined(previous.data.schema), parsedOrUndefined(schema.data.schema)) : undefined}
              empty={previousVersion === undefined ? "Nothing to compare with." : "No field changed."}
              testId="schema-diff"
            />
          </div>
        </>
      ) : (
        <p className="mr-muted">Loading…</p>
      )}
      <h3 className="mr-schemas-title">Register a new version</h3>
      <RegisterForm subject={row.subject} latest={latestSchema.data} registerReason={registerReason} />
    </div>
  );
}

/** Field changes as a titled list (also under a Kafka node's schema and the tap's inferred one). */
export function SchemaDiff({ title, changes, empty, testId }: { title: string; changes: FieldChange[] | undefined; empty: string; testId: string }) {
  return (
    <div className="mr-schemas-diff" data-testid={testId}>
      <div className="mr-label">{title}</div>
      {changes === undefined ? (
        <p className="mr-muted small">Loading…</p>
      ) : changes.length === 0 ? (
        <p className="mr-muted small">{empty}</p>
      ) : (
        <ul>
          {changes.map((c) => (
            <li key={`${c.kind}:${c.path}:${"what" in c ? c.what : ""}`} className={`mr-schemas-change ${c.kind}`} data-testid={`${testId}-line`} data-kind={c.kind} data-path={c.path}>
              {describeChange(c)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function CompatibilitySelect({ subject, level }: { subject: string; level: string }) {
  const qc = useQueryClient();
  const reason = roleReason(useRole(), "schemaCompatibility");
  const setConfig = useMutation({
    mutationFn: (compatibility: (typeof COMPATIBILITY_LEVELS)[number]) => trpc.schemaRegistry.setConfig.mutate({ subject, compatibility }),
    onSuccess: (_r, compatibility) => {
      ui.toast(`${subject}: compatibility ${compatibility}`, "success");
      void qc.invalidateQueries({ queryKey: subjectsKey });
    },
    onError: (e) => ui.toast(errorMessage(e), "error"),
  });
  const meaning = isCompatibilityLevel(level) ? COMPATIBILITY_MEANING[level] : "";
  return (
    <label className="mr-schemas-level" title={reason || `What a new version must keep: ${meaning}`}>
      <span className="mr-label">Compatibility</span>
      <select
        className="mr-input small"
        data-testid="schema-compatibility"
        value={level}
        disabled={!!reason || setConfig.isPending}
        onChange={(e) => isCompatibilityLevel(e.target.value) && setConfig.mutate(e.target.value)}
      >
        {COMPATIBILITY_LEVELS.map((l) => (
          <option key={l} value={l} title={COMPATIBILITY_MEANING[l]}>
            {l}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The registry's answer to a check: a headline, and its reasons when it refuses (also under the tap's inferred schema). */
export function CheckResult({ result, isNewSubject, testId }: { result: CompatibilityCheck; isNewSubject: boolean; testId: string }) {
  return (
    <div className={`mr-conn-test ${result.compatible ? "ok" : "failed"}`} data-testid={testId} data-compatible={result.compatible}>
      <div>{checkHeadline(result, isNewSubject)}</div>
      {result.messages.length > 0 && (
        <ul className="mr-schemas-messages">
          {result.messages.map((m, i) => (
            <li key={i} data-testid="schema-check-message">
              {m}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function RegisterForm(props: { subject?: string; existing?: readonly string[]; latest?: { version: number; schema: string }; registerReason: string }) {
  const qc = useQueryClient();
  const [subject, setSubject] = useState(props.subject ?? "");
  const [text, setText] = useState("");
  const [checked, setChecked] = useState<CheckedText>();
  const [refusal, setRefusal] = useState("");
  const isNewSubject = props.subject === undefined && !props.existing?.includes(subject);
  const checkReason = props.registerReason || checkBlockedReason(subject, text);
  const blocked = props.registerReason || registerBlockedReason(subject, text, checked);
  const current = checked && checked.text === text && checked.subject === subject ? checked : undefined;
  const parsed = parseSchemaText(text);
  // an empty box is not an error yet; text that does not parse is, as it is typed
  const parseError = text.trim() && !parsed.ok ? parsed.error : "";

  const check = useMutation({
    mutationFn: async (input: { subject: string; schema: string }): Promise<CheckedText> => ({ subject: input.subject, text: input.schema, result: await trpc.schemaRegistry.checkCompatibility.mutate(input) }),
    onMutate: () => setRefusal(""),
    onSuccess: setChecked,
    onError: (e) => setRefusal(errorMessage(e)),
  });
  const register = useMutation({
    mutationFn: (input: { subject: string; schema: string }) => trpc.schemaRegistry.register.mutate(input),
    onSuccess: (registered, input) => {
      ui.toast(`Registered ${input.subject} version ${registered.version} (schema id ${registered.id})`, "success");
      void qc.invalidateQueries({ queryKey: subjectsKey });
      setText("");
      setChecked(undefined);
      select({ kind: "subject", subject: input.subject, version: registered.version });
    },
    onError: (e) => setRefusal(errorMessage(e)),
  });
  const sinceLatest = current?.result.compatible && props.latest && parsed.ok ? diffSchemas(parsedOrUndefined(props.latest.schema), parsed.value) : undefined;

  return (
    <form
      className="mr-form mr-schemas-register"
      data-testid="schema-register-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!blocked) register.mutate({ subject, schema: text });
      }}
    >
      {props.subject === undefined && (
        <div className="mr-field">
          <label className="mr-label" htmlFor="schema-subject">
            Subject
          </label>
          <input id="schema-subject" className="mr-input" data-testid="schema-new-subject-name" placeholder="orders-value" spellCheck={false} value={subject} onChange={(e) => setSubject(e.target.value)} />
          <div className="mr-help">By the topic naming strategy a topic's values are &lt;topic&gt;-value and its keys &lt;topic&gt;-key.</div>
        </div>
      )}
      <div className="mr-field">
        <label className="mr-label" htmlFor="schema-new-text">
          Avro schema (JSON)
        </label>
        <textarea
          id="schema-new-text"
          className={`mr-input mono${parseError ? " has-error" : ""}`}
          data-testid="schema-new-text"
          rows={7}
          spellCheck={false}
          placeholder={'{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]}'}
          value={text}
          readOnly={!!props.registerReason}
          onChange={(e) => {
            setText(e.target.value);
            setRefusal("");
          }}
        />
        {parseError && (
          <div className="mr-field-error" data-testid="schema-new-error">
            {parseError}
          </div>
        )}
      </div>
      <div className="mr-modal-foot">
        {props.latest && !props.registerReason && (
          <button type="button" className="mr-link small" data-testid="schema-start-from-latest" onClick={() => setText(prettySchema(props.latest!.schema))}>
            Start from v{props.latest.version}
          </button>
        )}
        <span className="mr-tip-wrap" title={checkReason || "Ask the registry whether this version may follow the latest one, without registering it"}>
          <button type="button" className="mr-btn" data-testid="schema-check" disabled={!!checkReason || check.isPending} onClick={() => check.mutate({ subject, schema: text })}>
            {check.isPending ? "Checking…" : "Check compatibility"}
          </button>
        </span>
        <span className="mr-tip-wrap" title={blocked || "Register this version (the same schema twice gets the same id)"}>
          <button type="submit" className="mr-btn primary" data-testid="schema-register" disabled={!!blocked || register.isPending}>
            {register.isPending ? "Registering…" : "Register"}
          </button>
        </span>
      </div>
      {current && <CheckResult result={current.result} isNewSubject={isNewSubject} testId="schema-check-result" />}
      {sinceLatest && props.latest && <SchemaDiff title={`Changes against v${props.latest.version}`} changes={sinceLatest} empty="The same fields as the latest version." testId="schema-new-diff" />}
      {refusal && (
        <div className="mr-field-error block" data-testid="schema-register-refusal">
          {refusal}
        </div>
      )}
    </form>
  );
}
