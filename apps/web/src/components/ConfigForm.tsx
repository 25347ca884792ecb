/**
 * Renders the fields produced by ../form/schemaForm for a value, with inline errors keyed
 * by path (from the processor's own zod schema).
 */
import { useEffect, useRef, useState } from "react";
import { defaultFor, getAt, pathKey, renameKey, type Field, type Path } from "../form/schemaForm";
import { placeholderFor } from "../form/placeholder";
import { insertEntryAfter, isStringList, pasteEntries, removeEntry, splitListText, type StringListField } from "../form/stringList";
import { connectionChoices, ownChoiceLabel } from "../connections/connectionForm";
import { useRole } from "../auth/authStore";
import { roleReason } from "../auth/roles";
import { openConnectionsDialog, useConnections } from "./ConnectionsDialog";

interface Ctx {
  errors: Record<string, string[]>;
  onChange: (path: Path, value: unknown) => void;
  idPrefix: string;
  /** the processor's example config: its values are shown as placeholders */
  example?: unknown;
}

export function ConfigForm(props: { fields: Field[]; value: unknown; errors: Record<string, string[]>; onChange: (path: Path, value: unknown) => void; idPrefix: string; example?: unknown }) {
  const ctx: Ctx = { errors: props.errors, onChange: props.onChange, idPrefix: props.idPrefix, example: props.example };
  return (
    <div className="mr-form">
      {props.fields.map((f) => (
        <FieldView key={f.key} field={f} path={f.key ? [f.key] : []} value={f.key ? getAt(props.value, [f.key]) : props.value} ctx={ctx} />
      ))}
    </div>
  );
}

function Errors({ ctx, path }: { ctx: Ctx; path: Path }) {
  const errs = ctx.errors[pathKey(path)];
  if (!errs?.length) return null;
  return (
    <div className="mr-field-error" data-testid={`field-error-${pathKey(path)}`}>
      {errs.join("; ")}
    </div>
  );
}

function testId(path: Path) {
  return `field-${pathKey(path)}`;
}

function Label({ field, htmlFor }: { field: Field; htmlFor?: string }) {
  if (!field.label) return null;
  return (
    <label className="mr-label" htmlFor={htmlFor}>
      {field.label}
      {field.required && <span className="mr-req" title="required">*</span>}
    </label>
  );
}

function FieldView({ field, path, value, ctx }: { field: Field; path: Path; value: unknown; ctx: Ctx }) {
  const id = `${ctx.idPrefix}-${pathKey(path)}`;
  const hasErr = !!ctx.errors[pathKey(path)]?.length;
  const set = (v: unknown) => ctx.onChange(path, v);
  const emptyValue = field.required ? "" : undefined;
  const desc = field.description ? <div className="mr-help">{field.description}</div> : null;

  switch (field.kind) {
    case "string": {
      const v = typeof value === "string" ? value : value == null ? "" : String(value);
      const common = {
        id,
        "data-testid": testId(path),
        className: `mr-input${hasErr ? " has-error" : ""}${field.widget === "expression" || field.widget === "code" ? " mono" : ""}`,
        value: v,
        placeholder: placeholderFor(field, getAt(ctx.example, path)),
        "aria-invalid": hasErr,
        spellCheck: false,
      };
      const onChange = (e: { target: { value: string } }) => set(e.target.value === "" ? emptyValue : e.target.value);
      let input;
      if (field.widget === "code") input = <textarea {...common} rows={8} onChange={onChange} />;
      else if (field.widget === "textarea") input = <textarea {...common} rows={4} onChange={onChange} />;
      else if (field.widget === "expression") input = <textarea {...common} rows={Math.min(6, Math.max(1, v.split("\n").length))} onChange={onChange} className={common.className + " expr"} />;
      else input = <input {...common} type={field.widget === "password" ? "password" : "text"} onChange={onChange} />;
      return (
        <div className="mr-field">
          <Label field={field} htmlFor={id} />
          {field.widget === "expression" && <span className="mr-badge">JSONata</span>}
          {input}
          {desc}
          <Errors ctx={ctx} path={path} />
        </div>
      );
    }
    case "number":
      return (
        <div className="mr-field">
          <Label field={field} htmlFor={id} />
          <NumberInput id={id} testid={testId(path)} value={value} field={field} placeholder={placeholderFor(field, getAt(ctx.example, path))} hasErr={hasErr} onChange={set} />
          {desc}
          <Errors ctx={ctx} path={path} />
        </div>
      );
    case "boolean":
      return (
        <div className="mr-field">
          <label className="mr-check">
            <input id={id} data-testid={testId(path)} type="checkbox" checked={value === true || (value === undefined && field.default === true)} onChange={(e) => set(e.target.checked)} />
            {field.label}
          </label>
          {desc}
          <Errors ctx={ctx} path={path} />
        </div>
      );
    case "enum":
      return (
        <div className="mr-field">
          <Label field={field} htmlFor={id} />
          <select
            id={id}
            data-testid={testId(path)}
            className={`mr-input${hasErr ? " has-error" : ""}`}
            value={value === undefined ? "" : JSON.stringify(value)}
            onChange={(e) => set(e.target.value === "" ? undefined : JSON.parse(e.target.value))}
          >
            {(!field.required || value === undefined) && <option value="">{field.default !== undefined ? `default (${String(field.default)})` : "—"}</option>}
            {field.options.map((o) => (
              <option key={JSON.stringify(o)} value={JSON.stringify(o)}>
                {String(o)}
              </option>
            ))}
          </select>
          {desc}
          <Errors ctx={ctx} path={path} />
        </div>
      );
    case "object":
      return (
        <fieldset className="mr-fieldset" data-testid={testId(path)}>
          {field.label && <legend>{field.label}</legend>}
          {desc}
          {field.fields.map((sub) => (
            <FieldView key={sub.key} field={sub} path={[...path, sub.key]} value={getAt(value, [sub.key])} ctx={ctx} />
          ))}
          <Errors ctx={ctx} path={path} />
        </fieldset>
      );
    case "array": {
      if (isStringList(field))
        return (
          <div className="mr-field" data-testid={testId(path)}>
            <Label field={field} />
            {desc}
            <StringList field={field} path={path} value={value} ctx={ctx} />
            <Errors ctx={ctx} path={path} />
          </div>
        );
      const items = Array.isArray(value) ? value : [];
      return (
        <div className="mr-field" data-testid={testId(path)}>
          <Label field={field} />
          {desc}
          <div className="mr-array">
            {items.map((item, i) => (
              <div className="mr-array-item" key={i} data-testid={`${testId(path)}-item-${i}`}>
                <div className="mr-array-item-head">
                  <span>#{i + 1}</span>
                  <span className="mr-array-tools">
                    <button className="mr-icon" title="Move up" disabled={i === 0} onClick={() => set(move(items, i, i - 1))}>↑</button>
                    <button className="mr-icon" title="Move down" disabled={i === items.length - 1} onClick={() => set(move(items, i, i + 1))}>↓</button>
                    <button className="mr-icon danger" title="Remove" data-testid={`${testId(path)}-remove-${i}`} onClick={() => set(items.filter((_, j) => j !== i))}>✕</button>
                  </span>
                </div>
                <FieldView field={field.item} path={[...path, i]} value={item} ctx={ctx} />
              </div>
            ))}
            <button className="mr-btn small" data-testid={`${testId(path)}-add`} onClick={() => set([...items, defaultFor(field.item)])} disabled={field.maxItems !== undefined && items.length >= field.maxItems}>
              + Add {field.label ? field.label.replace(/s$/, "").toLowerCase() : "item"}
            </button>
          </div>
          <Errors ctx={ctx} path={path} />
        </div>
      );
    }
    case "record":
      return (
        <div className="mr-field" data-testid={testId(path)}>
          <Label field={field} />
          {desc}
          <RecordEditor field={field} path={path} value={value} ctx={ctx} />
          <Errors ctx={ctx} path={path} />
        </div>
      );
    case "connection":
      return (
        <div className="mr-field">
          <Label field={field} htmlFor={id} />
          <ConnectionSelect id={id} testid={testId(path)} connectionType={field.connectionType} value={typeof value === "string" ? value : undefined} hasErr={hasErr} onChange={set} />
          {desc}
          <Errors ctx={ctx} path={path} />
        </div>
      );
    case "json":
      return (
        <div className="mr-field">
          <Label field={field} htmlFor={id} />
          <JsonInput id={id} testid={testId(path)} value={value} onChange={set} />
          {desc}
          <Errors ctx={ctx} path={path} />
        </div>
      );
  }
}

/**
 * One input per entry with its own error under it; Enter adds an entry after it, pasting a
 * list ("a, b" or one per line) into an entry makes one entry each.
 */
function StringList({ field, path, value, ctx }: { field: StringListField; path: Path; value: unknown; ctx: Ctx }) {
  const items = Array.isArray(value) ? value.map((v) => (typeof v === "string" ? v : String(v ?? ""))) : [];
  const [focusAt, setFocusAt] = useState<number | null>(null);
  const list = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (focusAt === null) return;
    list.current?.querySelectorAll<HTMLInputElement>("input")[focusAt]?.focus();
    setFocusAt(null);
  }, [focusAt]);
  const set = (v: unknown) => ctx.onChange(path, v);
  const base = testId(path);
  const noun = field.label ? field.label.replace(/s$/, "").toLowerCase() : "entry";
  const full = field.maxItems !== undefined && items.length >= field.maxItems;
  return (
    <div className="mr-list" ref={list}>
      {items.map((item, i) => {
        const p = [...path, i];
        const hasErr = !!ctx.errors[pathKey(p)]?.length;
        return (
          <div className="mr-list-row" key={i} data-testid={`${base}-row-${i}`}>
            <input
              id={`${ctx.idPrefix}-${pathKey(p)}`}
              className={`mr-input mono${hasErr ? " has-error" : ""}`}
              data-testid={testId(p)}
              aria-label={`${field.label || "entry"} ${i + 1}`}
              aria-invalid={hasErr}
              spellCheck={false}
              value={item}
              placeholder={field.item.ui.placeholder ?? noun}
              onChange={(e) => set(items.map((x, j) => (j === i ? e.target.value : x)))}
              onKeyDown={(e) => {
                if (e.key !== "Enter" || full) return;
                e.preventDefault();
                set(insertEntryAfter(items, i));
                setFocusAt(i + 1);
              }}
              onPaste={(e) => {
                const entries = splitListText(e.clipboardData.getData("text"));
                if (entries.length < 2) return;
                e.preventDefault();
                set(pasteEntries(items, i, entries).slice(0, field.maxItems));
              }}
            />
            <button className="mr-icon danger" title={`Remove ${noun}`} data-testid={`${base}-remove-${i}`} onClick={() => set(removeEntry(items, i, field.required))}>
              ✕
            </button>
            <Errors ctx={ctx} path={p} />
          </div>
        );
      })}
      <button
        className="mr-btn small"
        data-testid={`${base}-add`}
        disabled={full}
        onClick={() => {
          set([...items, ""]);
          setFocusAt(items.length);
        }}
      >
        + Add {noun}
      </button>
    </div>
  );
}

/** A saved connection of one type, or none (the engine's own cluster or database). */
function ConnectionSelect(props: { id: string; testid: string; connectionType: string; value: string | undefined; hasErr: boolean; onChange: (v: unknown) => void }) {
  const listReason = roleReason(useRole(), "connections");
  const connections = useConnections(!listReason);
  const choices = connectionChoices(connections.data ?? [], props.connectionType, props.value);
  return (
    <div className="mr-conn-select">
      <select
        id={props.id}
        data-testid={props.testid}
        className={`mr-input${props.hasErr ? " has-error" : ""}`}
        value={props.value ?? ""}
        title={listReason ? `${listReason} to list the connections` : undefined}
        onChange={(e) => props.onChange(e.target.value === "" ? undefined : e.target.value)}
      >
        <option value="">{ownChoiceLabel(props.connectionType)}</option>
        {choices.map((c) => (
          <option key={c.name} value={c.name}>
            {c.label}
          </option>
        ))}
      </select>
      <button type="button" className="mr-link" data-testid={`${props.testid}-manage`} title={`The ${props.connectionType} connections`} onClick={openConnectionsDialog}>
        Connections…
      </button>
    </div>
  );
}

function move<T>(arr: T[], from: number, to: number): T[] {
  const a = [...arr];
  const [x] = a.splice(from, 1);
  a.splice(to, 0, x);
  return a;
}

function NumberInput(props: { id: string; testid: string; value: unknown; field: Extract<Field, { kind: "number" }>; placeholder: string; hasErr: boolean; onChange: (v: unknown) => void }) {
  const { field } = props;
  const shown = typeof props.value === "number" ? String(props.value) : props.value == null ? "" : String(props.value);
  const [text, setText] = useState(shown);
  const [focused, setFocused] = useState(false);
  // an undo/redo while the field has focus: show the document's value
  useEffect(() => {
    const t = text.trim();
    const asValue = t === "" ? undefined : Number(t);
    if (asValue !== props.value && !(t !== "" && !Number.isFinite(asValue))) setText(shown);
    // only when `shown` changes: the text being typed must not be reset on every keystroke
  }, [shown]);
  return (
    <input
      id={props.id}
      data-testid={props.testid}
      className={`mr-input${props.hasErr ? " has-error" : ""}`}
      type="number"
      inputMode={field.integer ? "numeric" : "decimal"}
      step={field.integer ? 1 : "any"}
      min={field.minimum}
      max={field.maximum}
      placeholder={props.placeholder}
      value={focused ? text : shown}
      onFocus={() => {
        setText(shown);
        setFocused(true);
      }}
      onBlur={() => setFocused(false)}
      onChange={(e) => {
        setText(e.target.value);
        const t = e.target.value.trim();
        if (t === "") props.onChange(undefined);
        else if (Number.isFinite(Number(t))) props.onChange(Number(t));
      }}
    />
  );
}

function RecordEditor({ field, path, value, ctx }: { field: Extract<Field, { kind: "record" }>; path: Path; value: unknown; ctx: Ctx }) {
  const rec = value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  const entries = Object.entries(rec);
  const set = (v: unknown) => ctx.onChange(path, v);
  const valueIsString = field.value.kind === "string";
  return (
    <div className="mr-kv">
      {entries.map(([k, v], i) => (
        <div className="mr-kv-row" key={i} data-testid={`${testId(path)}-row-${i}`}>
          <input
            className="mr-input mono"
            value={k}
            placeholder="name"
            data-testid={`${testId(path)}-key-${i}`}
            onChange={(e) => {
              const nk = e.target.value;
              if (nk !== k && nk in rec) return; // no duplicate keys
              set(renameKey(rec, k, nk));
            }}
          />
          {valueIsString ? (
            <input
              className={`mr-input mono${ctx.errors[pathKey([...path, k])] ? " has-error" : ""}`}
              value={typeof v === "string" ? v : String(v ?? "")}
              placeholder={field.value.kind === "string" && field.value.widget === "expression" ? "expression" : "value"}
              data-testid={`${testId(path)}-value-${i}`}
              onChange={(e) => set({ ...rec, [k]: e.target.value })}
            />
          ) : (
            <div className="mr-kv-value">
              <FieldView field={field.value} path={[...path, k]} value={v} ctx={ctx} />
            </div>
          )}
          <button className="mr-icon danger" title="Remove" data-testid={`${testId(path)}-remove-${i}`} onClick={() => set(Object.fromEntries(entries.filter((_, j) => j !== i)))}>
            ✕
          </button>
          {valueIsString && <Errors ctx={ctx} path={[...path, k]} />}
        </div>
      ))}
      <button
        className="mr-btn small"
        data-testid={`${testId(path)}-add`}
        onClick={() => {
          let n = entries.length + 1;
          while (`name${n}` in rec) n++;
          set({ ...rec, [`name${n}`]: defaultFor(field.value) });
        }}
      >
        + Add entry
      </button>
    </div>
  );
}

function JsonInput({ id, testid, value, onChange }: { id: string; testid: string; value: unknown; onChange: (v: unknown) => void }) {
  const [text, setText] = useState(() => (value === undefined ? "" : JSON.stringify(value, null, 2)));
  const [bad, setBad] = useState(false);
  return (
    <>
      <textarea
        id={id}
        data-testid={testid}
        className={`mr-input mono${bad ? " has-error" : ""}`}
        rows={4}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value.trim() === "") {
            setBad(false);
            onChange(undefined);
            return;
          }
          try {
            onChange(JSON.parse(e.target.value));
            setBad(false);
          } catch {
            setBad(true);
          }
        }}
      />
      {bad && <div className="mr-field-error">Not valid JSON yet</div>}
    </>
  );
}
