/**
 * The Connections page: the engine's named clusters, databases and endpoints. Editors see the
 * list (flows name connections); admins add, edit, test and remove them. Secrets never reach
 * the browser: a stored one shows as "set", and an empty secret input keeps it.
 */
import { useState } from "react";
import { create } from "zustand";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@millrace/engine/api/router";
import type { FlowError } from "@millrace/flow";
import { errorMessage, trpc } from "../api/client";
import { useRole } from "../auth/authStore";
import { roleReason } from "../auth/roles";
import { ui } from "../store/uiStore";
import {
  CONNECTION_TYPES,
  connectionTarget,
  emptyDraft,
  errorsByInput,
  errorsOfRefusal,
  fromDocument,
  localErrors,
  shownInputs,
  testOutcome,
  toDocument,
  type ConnectionType,
  type Draft,
  type InputSpec,
} from "../connections/connectionForm";

type ConnectionRow = inferRouterOutputs<AppRouter>["connections"]["list"][number];
type TestResult = inferRouterOutputs<AppRouter>["connections"]["test"];

export const connectionsKey = ["connections"];

/** What the dialog shows: the list, or the form of a new or an existing connection. */
type View = { kind: "list" } | { kind: "form"; type: ConnectionType; draft: Draft; storedSecrets: Set<string>; editing?: string };
export const useConnectionsDialog = create<{ view: View | null }>(() => ({ view: null }));
export const openConnectionsDialog = () => useConnectionsDialog.setState({ view: { kind: "list" } });
const showList = () => useConnectionsDialog.setState({ view: { kind: "list" } });
const close = () => useConnectionsDialog.setState({ view: null });

/** Every connection the signed-in user may see (editors and up); shared with the node forms. */
export function useConnections(enabled = true) {
  return useQuery({ queryKey: connectionsKey, queryFn: () => trpc.connections.list.query(), enabled, staleTime: 10_000 });
}

const when = (d: string | Date | null | undefined) => (d ? new Date(d).toLocaleString() : "");

export function ConnectionsDialog() {
  const view = useConnectionsDialog((s) => s.view);
  const role = useRole();
  if (!view) return null;
  const seeReason = roleReason(role, "connections");
  const manageReason = roleReason(role, "manageConnections");
  return (
    <div className="mr-modal-back" onClick={close}>
      <div className="mr-modal wide mr-conn-modal" role="dialog" aria-label="Connections" data-testid="connections-dialog" onClick={(e) => e.stopPropagation()}>
        <div className="mr-modal-head">
          <h2>{view.kind === "list" ? "Connections" : view.editing ? `Connection “${view.editing}”` : "Add connection"}</h2>
          <button className="mr-icon" data-testid="connections-close" onClick={close} aria-label="Close">
            ✕
          </button>
        </div>
        {seeReason ? (
          <p className="mr-muted" data-testid="connections-refused">
            {seeReason}: connections are seen by editors and managed by admins.
          </p>
        ) : view.kind === "list" ? (
          <ConnectionList manageReason={manageReason} />
        ) : (
          <ConnectionForm key={view.editing ?? "new"} view={view} />
        )}
      </div>
    </div>
  );
}

function ConnectionList({ manageReason }: { manageReason: string }) {
  const qc = useQueryClient();
  const connections = useConnections();
  const [results, setResults] = useState<Record<string, TestResult | "testing">>({});
  const test = useMutation({
    mutationFn: (name: string) => trpc.connections.test.mutate({ name }),
    onMutate: (name) => setResults((r) => ({ ...r, [name]: "testing" })),
    onSuccess: (result, name) => setResults((r) => ({ ...r, [name]: result })),
    onError: (e, name) => {
      setResults(({ [name]: _dropped, ...rest }) => rest);
      ui.toast(errorMessage(e), "error");
    },
  });
  const remove = useMutation({
    mutationFn: (name: string) => trpc.connections.remove.mutate({ name }),
    onSuccess: (_r, name) => {
      ui.toast(`Removed connection ${name}`, "success");
      void qc.invalidateQueries({ queryKey: connectionsKey });
    },
    onError: (e) => ui.toast(errorMessage(e), "error"),
  });
  const edit = (c: ConnectionRow) => {
    const { draft, storedSecrets } = fromDocument(c);
    useConnectionsDialog.setState({ view: { kind: "form", type: c.type, draft, storedSecrets, editing: c.name } });
  };
  const add = () => useConnectionsDialog.setState({ view: { kind: "form", type: "kafka", draft: emptyDraft("kafka"), storedSecrets: new Set() } });

  return (
    <section data-testid="connections-panel">
      <div className="mr-form-row">
        <p className="mr-muted small mr-grow">Clusters, databases and endpoints that flows name in a node's Connection field. Secrets are stored sealed and never shown again.</p>
        <span className="mr-tip-wrap" title={manageReason || "Add a Kafka cluster, a database, an HTTP endpoint or a schema registry"}>
          <button className="mr-btn primary small" data-testid="connection-add" disabled={!!manageReason} onClick={add}>
            Add connection
          </button>
        </span>
      </div>
      {connections.error ? (
        <div className="mr-field-error block">{errorMessage(connections.error)}</div>
      ) : (
        <table className="mr-table" data-testid="connections-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th>Where</th>
              <th>Changed</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(connections.data ?? []).map((c) => {
              const result = results[c.name];
              return (
                <tr key={c.name} data-testid={`connection-row-${c.name}`}>
                  <td className="mr-conn-name">
                    <b>{c.name}</b>
                    {c.description && <div className="mr-muted small">{c.description}</div>}
                  </td>
                  <td>{c.type}</td>
                  <td className="mr-conn-target" data-testid={`connection-target-${c.name}`}>
                    {connectionTarget(c)}
                  </td>
                  <td className="mr-muted small" title={`Created ${when(c.createdAt)}${c.createdBy ? ` by ${c.createdBy}` : ""}`}>
                    {c.createdBy ?? "—"}
                    <br />
                    {when(c.updatedAt)}
                  </td>
                  <td className="mr-conn-actions">
                    <span className="mr-tip-wrap" title={manageReason || "Connect now, as the flows would"}>
                      <button className="mr-btn small" data-testid={`connection-test-${c.name}`} disabled={!!manageReason || result === "testing"} onClick={() => test.mutate(c.name)}>
                        {result === "testing" ? "Testing…" : "Test"}
                      </button>
                    </span>
                    <span className="mr-tip-wrap" title={manageReason || "Change its settings or credentials"}>
                      <button className="mr-btn small" data-testid={`connection-edit-${c.name}`} disabled={!!manageReason} onClick={() => edit(c)}>
                        Edit
                      </button>
                    </span>
                    <span className="mr-tip-wrap" title={manageReason || "Remove it (flows naming it then fail to deploy)"}>
                      <button
                        className="mr-btn small danger"
                        data-testid={`connection-remove-${c.name}`}
                        disabled={!!manageReason || remove.isPending}
                        onClick={() => window.confirm(`Remove connection "${c.name}"? Flows that name it no longer deploy.`) && remove.mutate(c.name)}
                      >
                        Remove
                      </button>
                    </span>
                    {result && result !== "testing" && <TestOutcome result={result} testId={`connection-test-result-${c.name}`} />}
                  </td>
                </tr>
              );
            })}
            {connections.data?.length === 0 && (
              <tr>
                <td colSpan={5} className="mr-muted">
                  No connections yet: nodes use the engine's own Kafka cluster and database.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}

function TestOutcome({ result, testId }: { result: TestResult; testId: string }) {
  return (
    <div className={`mr-conn-test ${result.ok ? "ok" : "failed"}`} data-testid={testId} data-ok={result.ok} data-reason={result.ok ? undefined : result.reason}>
      {result.ok ? "✓ " : "✕ "}
      {testOutcome(result)}
    </div>
  );
}

function ConnectionForm({ view }: { view: Extract<View, { kind: "form" }> }) {
  const qc = useQueryClient();
  const [type, setType] = useState(view.type);
  const [draft, setDraft] = useState(view.draft);
  // errors show once the user asked to save or test, then follow the typing
  const [checked, setChecked] = useState(false);
  const [refusal, setRefusal] = useState<FlowError[]>([]);
  const [result, setResult] = useState<TestResult>();
  const editing = view.editing;
  const storedSecrets = type === view.type ? view.storedSecrets : new Set<string>();
  const doc = toDocument(type, draft, storedSecrets);
  const errors = errorsByInput(type, draft, [...(checked ? localErrors(doc) : []), ...refusal]);

  const change = (path: string, value: string | boolean) => {
    setDraft((d) => ({ ...d, [path]: value }));
    setRefusal([]);
    setResult(undefined);
  };
  /** The document when it passes the browser's check; otherwise its errors are shown and nothing is sent. */
  const checkedDocument = () => {
    setChecked(true);
    return localErrors(doc).length === 0 ? doc : undefined;
  };
  const onRefused = (e: unknown) => {
    const fieldErrors = errorsOfRefusal(e instanceof TRPCClientError ? e.data : undefined);
    if (fieldErrors.length) setRefusal(fieldErrors);
    else ui.toast(errorMessage(e), "error");
  };
  const save = useMutation({
    mutationFn: (document: Record<string, unknown>) => trpc.connections.add.mutate({ document, replace: editing !== undefined }),
    onSuccess: () => {
      ui.toast(`Saved connection ${String(doc.name)}`, "success");
      void qc.invalidateQueries({ queryKey: connectionsKey });
      showList();
    },
    onError: onRefused,
  });
  const test = useMutation({
    mutationFn: (document: Record<string, unknown>) => trpc.connections.testDocument.mutate({ document }),
    onMutate: () => setResult(undefined),
    onSuccess: setResult,
    onError: onRefused,
  });

  return (
    <form
      className="mr-form mr-conn-form"
      data-testid="connection-form"
      onSubmit={(e) => {
        e.preventDefault();
        const document = checkedDocument();
        if (document) save.mutate(document);
      }}
    >
      <div className="mr-field">
        <label className="mr-label" htmlFor="conn-type">
          Type
        </label>
        <select
          id="conn-type"
          className="mr-input"
          data-testid="connection-type"
          value={type}
          disabled={editing !== undefined}
          title={editing ? "A connection keeps its type; add a new one for another type" : undefined}
          onChange={(e) => {
            const next = e.target.value as ConnectionType;
            setType(next);
            // name and description carry over; the rest belongs to the other type
            setDraft({ ...emptyDraft(next), name: draft.name ?? "", description: draft.description ?? "" });
            setRefusal([]);
            setResult(undefined);
          }}
        >
          {CONNECTION_TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </div>
      {errors[""] && (
        <div className="mr-field-error block" data-testid="connection-form-errors">
          {errors[""].join("\n")}
        </div>
      )}
      {shownInputs(type, draft).map((input) => (
        <ConnectionInput key={input.path} input={input} value={draft[input.path]} stored={storedSecrets.has(input.path)} readOnly={input.path === "name" && editing !== undefined} errors={errors[input.path]} onChange={(v) => change(input.path, v)} />
      ))}
      {result && <TestOutcome result={result} testId="connection-form-test-result" />}
      <div className="mr-modal-foot">
        <button type="button" className="mr-btn ghost" data-testid="connection-cancel" onClick={showList}>
          Cancel
        </button>
        <button
          type="button"
          className="mr-btn"
          data-testid="connection-form-test"
          disabled={test.isPending}
          title="Connect with these settings without saving them (answers within 5 seconds)"
          onClick={() => {
            const document = checkedDocument();
            if (document) test.mutate(document);
          }}
        >
          {test.isPending ? "Testing…" : "Test"}
        </button>
        <button type="submit" className="mr-btn primary" data-testid="connection-save" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save"}
        </button>
      </div>
    </form>
  );
}

function ConnectionInput(props: { input: InputSpec; value: string | boolean | undefined; stored: boolean; readOnly: boolean; errors: string[] | undefined; onChange: (value: string | boolean) => void }) {
  const { input, errors } = props;
  const id = `conn-${input.path}`;
  const testId = `connection-field-${input.path}`;
  const invalid = !!errors?.length;
  const text = typeof props.value === "string" ? props.value : "";
  const className = `mr-input${invalid ? " has-error" : ""}${input.kind === "pem" ? " mono" : ""}`;
  const errorLine = invalid && (
    <div className="mr-field-error" data-testid={`connection-error-${input.path}`}>
      {errors.join("; ")}
    </div>
  );
  if (input.kind === "checkbox" || input.kind === "section") {
    return (
      <div className="mr-field">
        <label className="mr-check">
          <input id={id} data-testid={testId} type="checkbox" checked={props.value === true} onChange={(e) => props.onChange(e.target.checked)} />
          {input.label}
        </label>
        {errorLine}
      </div>
    );
  }
  let control;
  if (input.kind === "select") {
    control = (
      <select id={id} data-testid={testId} className={className} value={text} onChange={(e) => props.onChange(e.target.value)}>
        {input.options!.map((o) => (
          <option key={o} value={o}>
            {o === "" ? "none" : o}
          </option>
        ))}
      </select>
    );
  } else if (input.kind === "pem") {
    control = <textarea id={id} data-testid={testId} className={className} rows={3} spellCheck={false} placeholder="-----BEGIN CERTIFICATE-----" value={text} onChange={(e) => props.onChange(e.target.value)} />;
  } else {
    const secret = input.kind === "secret";
    control = (
      <input
        id={id}
        data-testid={testId}
        className={className}
        type={secret ? "password" : "text"}
        inputMode={input.kind === "number" ? "numeric" : undefined}
        autoComplete={secret ? "new-password" : "off"}
        spellCheck={false}
        readOnly={props.readOnly}
        aria-invalid={invalid}
        placeholder={secret ? (props.stored ? "set — leave empty to keep" : "") : input.placeholder}
        value={text}
        onChange={(e) => props.onChange(e.target.value)}
      />
    );
  }
  return (
    <div className="mr-field">
      <label className="mr-label" htmlFor={id}>
        {input.label}
      </label>
      {control}
      {input.help && <div className="mr-help">{input.help}</div>}
      {errorLine}
    </div>
  );
}
