import { useMemo, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { parametersOfGroup, type FlowGroup } from "@millrace/flow";
import { errorMessage } from "../api/client";
import { useFlowStore } from "../store/flowStore";
import { ui } from "../store/uiStore";
import { outdatedUses, templateActions } from "./templateActions";
import { templatesApi, templatesKey } from "./templateApi";
import { templateUi, useTemplateUi } from "./templateStore";
import { useTemplates } from "./useTemplates";

/** The open template dialog, if any. */
export function TemplateDialogs() {
  const saving = useTemplateUi((s) => s.saving);
  const placing = useTemplateUi((s) => s.placing);
  const group = useFlowStore((s) => (saving ? s.doc.groups?.find((g) => g.id === saving.groupId) : undefined));
  if (saving && group) return <SaveTemplateDialog key={group.id} group={group} />;
  if (placing) return <PlaceTemplateDialog key={placing.templateId} templateId={placing.templateId} />;
  return null;
}

function Modal({ title, testId, children }: { title: string; testId: string; children: React.ReactNode }) {
  return (
    <div className="mr-modal-back" onClick={templateUi.close}>
      <div className="mr-modal mr-template-dialog" role="dialog" aria-label={title} data-testid={testId} onClick={(e) => e.stopPropagation()}>
        <div className="mr-modal-head">
          <h2>{title}</h2>
          <button className="mr-icon" data-testid={`${testId}-close`} onClick={templateUi.close} aria-label="Close">
            ✕
          </button>
        </div>
        {children}
      </div>
    </div>
  );
}

const NEW = "";

/**
 * "Save as template…": a new template, or the next version of one (preselected when the group was
 * placed from it or bears its name). After a new version, the open flow's older uses can be
 * updated at once; other flows show the update on their groups.
 */
function SaveTemplateDialog({ group }: { group: FlowGroup }) {
  const qc = useQueryClient();
  const { templates } = useTemplates();
  const doc = useFlowStore((s) => s.doc);
  const guess = templates.find((t) => t.id === group.template?.id) ?? templates.find((t) => t.name === group.name);
  const [target, setTarget] = useState<string | undefined>(undefined);
  const chosen = target ?? guess?.id ?? NEW;
  const existing = templates.find((t) => t.id === chosen);
  const [name, setName] = useState<string | undefined>(undefined);
  const [description, setDescription] = useState<string | undefined>(undefined);
  const shownName = name ?? existing?.name ?? group.name;
  const shownDescription = description ?? existing?.description ?? "";
  const parameters = useMemo(() => {
    try {
      return parametersOfGroup(doc, group.id);
    } catch {
      return [];
    }
  }, [doc, group.id]);
  const save = useMutation({
    mutationFn: () =>
      templatesApi.save({
        document: doc,
        groupId: group.id,
        name: shownName,
        ...(shownDescription.trim() ? { description: shownDescription } : {}),
        ...(existing ? { templateId: existing.id, baseVersion: existing.version } : {}),
      }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: templatesKey }),
  });

  if (save.data) return <SavedTemplate id={save.data.id} version={save.data.version} name={shownName} />;
  return (
    <Modal title={`Save “${group.name}” as a template`} testId="template-save-dialog">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <label className="mr-field">
          <span className="mr-label">Save as</span>
          <select className="mr-input" data-testid="template-save-target" value={chosen} onChange={(e) => setTarget(e.target.value)}>
            <option value={NEW}>a new template</option>
            {templates.map((t) => (
              <option key={t.id} value={t.id}>
                the next version of “{t.name}” (v{t.version + 1})
              </option>
            ))}
          </select>
        </label>
        <label className="mr-field">
          <span className="mr-label">Name</span>
          <input className="mr-input" data-testid="template-save-name" value={shownName} maxLength={200} required onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="mr-field">
          <span className="mr-label">Description</span>
          <input className="mr-input" data-testid="template-save-description" value={shownDescription} maxLength={2000} placeholder="what it does (shown in the palette)" onChange={(e) => setDescription(e.target.value)} />
        </label>
        <div className="mr-template-params" data-testid="template-save-parameters">
          <span className="mr-label">Parameters</span>
          {parameters.length === 0 ? (
            <span className="mr-muted small">
              None: a <code>#{"{name}"}</code> in a node's settings becomes a parameter each use sets.
              {group.template ? " Values this use was given become parameters again where they are unchanged." : ""}
            </span>
          ) : (
            <ul className="mr-muted small">
              {parameters.map((p) => (
                <li key={p.name} data-testid={`template-save-param-${p.name}`}>
                  <code>{p.name}</code> {p.sensitive ? "— sensitive: never stored, each flow supplies its own" : p.default ? `— default “${p.default}”` : "— no default"}
                </li>
              ))}
            </ul>
          )}
        </div>
        {save.error && (
          <div className="mr-field-error block" data-testid="template-save-error">
            {errorMessage(save.error)}
          </div>
        )}
        <div className="mr-modal-foot">
          <button type="button" className="mr-btn ghost" onClick={templateUi.close}>
            Cancel
          </button>
          <button type="submit" className="mr-btn primary" data-testid="template-save-submit" disabled={save.isPending || !shownName.trim()}>
            {existing ? `Save v${existing.version + 1}` : "Save template"}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** After a save: the open flow's older uses can be updated now; other flows' uses are counted (they show the badge). */
function SavedTemplate({ id, version, name }: { id: string; version: number; name: string }) {
  const flowId = useFlowStore((s) => s.doc.id);
  const groups = useFlowStore((s) => s.doc.groups);
  const here = useMemo(() => outdatedUses({ groups }, id, version), [groups, id, version]);
  const uses = useQuery({ queryKey: ["templates", "uses", id, version], queryFn: () => templatesApi.uses(id), enabled: version > 1 });
  const elsewhere = (uses.data ?? []).filter((u) => u.flowId !== flowId && u.templateVersion < version);
  const [updating, setUpdating] = useState(false);
  const updateHere = async () => {
    setUpdating(true);
    try {
      templateActions.update(here, await templatesApi.get(id, version));
      templateUi.close();
    } catch (e) {
      ui.toast(`Could not update: ${errorMessage(e)}`, "error");
      setUpdating(false);
    }
  };
  return (
    <Modal title="Template saved" testId="template-saved-dialog">
      <p data-testid="template-saved-text">
        Saved “{name}” as version {version}.
      </p>
      {elsewhere.length > 0 && (
        <p className="mr-muted small" data-testid="template-saved-elsewhere">
          {elsewhere.length} group{elsewhere.length === 1 ? "" : "s"} in other flows ({[...new Set(elsewhere.map((u) => u.flowName))].join(", ")}) use an older version: they show “template v{version} available — Update”.
        </p>
      )}
      <div className="mr-modal-foot">
        <button type="button" className="mr-btn ghost" data-testid="template-saved-done" onClick={templateUi.close}>
          Done
        </button>
        {here.length > 0 && (
          <button type="button" className="mr-btn primary" data-testid="template-update-uses" disabled={updating} onClick={() => void updateHere()}>
            Update {here.length} use{here.length === 1 ? "" : "s"} in this flow
          </button>
        )}
      </div>
    </Modal>
  );
}

/** Asks a template's parameter values (placeholders: the defaults) and places it where it was dropped. */
function PlaceTemplateDialog({ templateId }: { templateId: string }) {
  const position = useTemplateUi((s) => s.placing?.position);
  const q = useQuery({ queryKey: ["templates", "get", templateId], queryFn: () => templatesApi.get(templateId), staleTime: 0 });
  const [values, setValues] = useState<Record<string, string>>({});
  const t = q.data;
  return (
    <Modal title={t ? `Place “${t.name}” v${t.version}` : "Place a template"} testId="template-place-dialog">
      {q.error ? (
        <div className="mr-field-error block">{errorMessage(q.error)}</div>
      ) : !t ? (
        <p className="mr-muted">Loading…</p>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const given = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ""));
            templateActions.place(t, position ?? { x: 0, y: 0 }, given);
            templateUi.close();
          }}
        >
          {t.description && <p className="mr-muted small">{t.description}</p>}
          <p className="mr-muted small">
            {t.nodes.length} node{t.nodes.length === 1 ? "" : "s"}
            {t.inputs.length ? ` · inputs: ${t.inputs.map((i) => t.nodes.find((n) => n.id === i.node)?.name ?? i.node).join(", ")}` : ""}
            {t.outputs.length ? ` · outputs: ${t.outputs.map((o) => `${t.nodes.find((n) => n.id === o.node)?.name ?? o.node} · ${o.port}`).join(", ")}` : ""}
          </p>
          <div className="mr-template-params">
            {t.parameters.length === 0 && <span className="mr-muted small">This template has no parameters.</span>}
            {t.parameters.map((p) =>
              p.sensitive ? (
                <span key={p.name} className="mr-muted small" data-testid={`template-place-sensitive-${p.name}`}>
                  <code>{p.name}</code> is sensitive: it uses this flow's sensitive parameter <code>#{`{${p.name}}`}</code> (added empty if missing; set it under Parameters).
                </span>
              ) : (
                <label key={p.name} className="mr-field">
                  <span className="mr-label">
                    <code>{p.name}</code>
                  </span>
                  <input
                    className="mr-input"
                    data-testid={`template-place-param-${p.name}`}
                    placeholder={p.default ? `${p.default} (default)` : "no default"}
                    value={values[p.name] ?? ""}
                    maxLength={10_000}
                    onChange={(e) => setValues((v) => ({ ...v, [p.name]: e.target.value }))}
                  />
                </label>
              ),
            )}
          </div>
          <div className="mr-modal-foot">
            <button type="button" className="mr-btn ghost" onClick={templateUi.close}>
              Cancel
            </button>
            <button type="submit" className="mr-btn primary" data-testid="template-place-submit">
              Place
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}
