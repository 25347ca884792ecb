/**
 * Processor config form, generated from the processor's zod schema.
 *
 * `fieldsFromZod(schema)` walks `z.toJSONSchema(schema)` into a small tree of field
 * descriptors the React form renders. Errors come from the SAME zod schema (`safeParse`)
 * and are keyed by path (`routes[0].name`), so no validation rule is written twice.
 * Pure TS: tested in node without a DOM.
 */
import { z } from "zod";
import { checkSchema, formatPath } from "@millrace/flow";

export type Widget = "text" | "expression" | "code" | "textarea" | "password" | "keyvalue";

export interface UiHint {
  widget?: Widget;
  placeholder?: string;
  order?: number;
}

interface Base {
  /** property name in the parent object ("" for array items and record values) */
  key: string;
  label: string;
  description?: string;
  required: boolean;
  nullable: boolean;
  default?: unknown;
  ui: UiHint;
}

export type Field =
  | (Base & { kind: "string"; widget: Exclude<Widget, "keyvalue">; minLength?: number; maxLength?: number; format?: string })
  | (Base & { kind: "number"; integer: boolean; minimum?: number; maximum?: number })
  | (Base & { kind: "boolean" })
  | (Base & { kind: "enum"; options: (string | number | boolean)[] })
  | (Base & { kind: "object"; fields: Field[] })
  | (Base & { kind: "array"; item: Field; minItems?: number; maxItems?: number })
  | (Base & { kind: "record"; value: Field })
  | (Base & { kind: "json" })
  /** a string naming a saved connection of `connectionType` (absent: the engine's own cluster or database) */
  | (Base & { kind: "connection"; connectionType: string });

type JS = Record<string, any>;

export function humanize(key: string): string {
  if (!key) return "";
  const words = key
    .replace(/[_-]+/g, " ")
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** z.toJSONSchema with the input view (defaults make fields optional) and no throwing. */
export function toJsonSchema(schema: z.ZodType): JS {
  try {
    return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JS;
  } catch {
    return {};
  }
}

export function fieldsFromZod(schema: z.ZodType): Field[] {
  return fieldsFromJsonSchema(toJsonSchema(schema));
}

/** Top-level fields of an object JSON Schema (anything else: one "json" field with key ""). */
export function fieldsFromJsonSchema(root: JS): Field[] {
  const resolve = makeResolver(root);
  const s = resolve(root);
  if (s.type === "object" || s.properties) return objectFields(s, resolve);
  return [toField("", s, true, resolve)];
}

function makeResolver(root: JS) {
  const resolve = (s: JS | undefined, depth = 0): JS => {
    if (!s || typeof s !== "object") return {};
    if (typeof s.$ref === "string" && depth < 20) {
      const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(s.$ref);
      const target = m ? root[m[1]]?.[decodeURIComponent(m[2])] : s.$ref === "#" ? root : undefined;
      const { $ref: _ignored, ...rest } = s;
      return { ...resolve(target, depth + 1), ...rest };
    }
    return s;
  };
  return resolve;
}

function objectFields(s: JS, resolve: (s: JS) => JS): Field[] {
  const props: JS = s.properties ?? {};
  const required = new Set<string>(s.required ?? []);
  const fields = Object.entries(props).map(([key, sub]) => toField(key, resolve(sub as JS), required.has(key), resolve));
  const order = (f: Field, i: number) => f.ui.order ?? 1000 + i;
  return fields
    .map((f, i) => ({ f, o: order(f, i) }))
    .sort((a, b) => a.o - b.o)
    .map((x) => x.f);
}

function uiOf(s: JS): UiHint {
  const ui = s.ui ?? s.meta?.ui;
  return ui && typeof ui === "object" ? { ...ui } : {};
}

/** Strips `null` from a schema, reporting whether it was there. */
function unwrapNullable(s: JS, resolve: (s: JS) => JS): { s: JS; nullable: boolean } {
  if (Array.isArray(s.type) && s.type.includes("null")) {
    const types = s.type.filter((t: string) => t !== "null");
    return { s: { ...s, type: types.length === 1 ? types[0] : types }, nullable: true };
  }
  const union = s.anyOf ?? s.oneOf;
  if (Array.isArray(union)) {
    const parts = union.map((u: JS) => resolve(u));
    const nonNull = parts.filter((u: JS) => u.type !== "null");
    if (nonNull.length < parts.length && nonNull.length === 1) {
      const { anyOf: _a, oneOf: _o, ...rest } = s;
      return { s: { ...nonNull[0], ...rest }, nullable: true };
    }
  }
  return { s, nullable: false };
}

function toField(key: string, raw: JS, required: boolean, resolve: (s: JS) => JS): Field {
  const { s, nullable } = unwrapNullable(resolve(raw), resolve);
  const ui = { ...uiOf(raw), ...uiOf(s) };
  const base: Base = {
    key,
    label: typeof s.title === "string" ? s.title : humanize(key),
    description: typeof s.description === "string" ? s.description : undefined,
    required,
    nullable,
    default: s.default,
    ui,
  };

  // enums: enum, const, or a union of consts
  if (Array.isArray(s.enum)) return { ...base, kind: "enum", options: (s.enum as (string | number | boolean | null)[]).filter((v): v is string | number | boolean => v !== null) };
  if ("const" in s) return { ...base, kind: "enum", options: [s.const] };
  const union = s.anyOf ?? s.oneOf;
  if (Array.isArray(union)) {
    const parts = union.map((u: JS) => resolve(u));
    if (parts.every((p: JS) => "const" in p || Array.isArray(p.enum))) {
      const options = parts.flatMap((p: JS) => ("const" in p ? [p.const] : p.enum));
      return { ...base, kind: "enum", options };
    }
    return { ...base, kind: "json" };
  }

  const type = Array.isArray(s.type) ? (s.type.length === 1 ? s.type[0] : undefined) : s.type;
  const connectionType = s.connectionType ?? s.meta?.connectionType;
  if (type === "string" && typeof connectionType === "string") return { ...base, kind: "connection", connectionType };
  switch (type) {
    case "string": {
      const w = ui.widget;
      const widget = w && w !== "keyvalue" ? w : s.format === "password" || s.writeOnly ? "password" : "text";
      return { ...base, kind: "string", widget, minLength: s.minLength, maxLength: s.maxLength, format: s.format };
    }
    case "integer":
    case "number":
      return {
        ...base,
        kind: "number",
        integer: type === "integer",
        minimum: s.minimum ?? (typeof s.exclusiveMinimum === "number" ? s.exclusiveMinimum : undefined),
        maximum: sane(s.maximum ?? (typeof s.exclusiveMaximum === "number" ? s.exclusiveMaximum : undefined)),
      };
    case "boolean":
      return { ...base, kind: "boolean" };
    case "array": {
      const items = Array.isArray(s.items) ? s.prefixItems : s.items;
      if (!items || Array.isArray(items)) return { ...base, kind: "json" };
      return { ...base, kind: "array", item: toField("", resolve(items), true, resolve), minItems: s.minItems, maxItems: s.maxItems };
    }
    case "object": {
      const hasProps = s.properties && Object.keys(s.properties).length > 0;
      const ap = s.additionalProperties;
      if (!hasProps && ap && typeof ap === "object") {
        return { ...base, kind: "record", value: toField("", resolve(ap), true, resolve) };
      }
      if (hasProps) return { ...base, kind: "object", fields: objectFields(s, resolve) };
      if (ui.widget === "keyvalue") return { ...base, kind: "record", value: stringField() };
      return { ...base, kind: "json" };
    }
    default:
      return { ...base, kind: "json" };
  }
}

function sane(n: number | undefined): number | undefined {
  return n !== undefined && Math.abs(n) >= Number.MAX_SAFE_INTEGER ? undefined : n;
}

function stringField(): Field {
  return { kind: "string", key: "", label: "", required: true, nullable: false, ui: {}, widget: "text" };
}

/** A starting value for a new array item / record entry / required field. */
export function defaultFor(f: Field): unknown {
  if (f.default !== undefined) return structuredClone(f.default);
  switch (f.kind) {
    case "string":
      return "";
    case "connection":
      return undefined;
    case "number":
      return f.minimum ?? 0;
    case "boolean":
      return false;
    case "enum":
      return f.options[0];
    case "object": {
      const o: Record<string, unknown> = {};
      for (const sub of f.fields) if (sub.required) o[sub.key] = defaultFor(sub);
      return o;
    }
    case "array":
      return [];
    case "record":
      return {};
    case "json":
      return null;
  }
}

// ---------- values at paths ----------

export type Path = (string | number)[];

export function getAt(value: unknown, path: Path): unknown {
  let cur: any = value;
  for (const p of path) {
    if (cur == null) return undefined;
    cur = cur[p as any];
  }
  return cur;
}

/** Immutable set; `undefined` deletes an object key (an optional field left empty). */
export function setAt(value: unknown, path: Path, next: unknown): any {
  if (path.length === 0) return next;
  const [head, ...rest] = path;
  if (typeof head === "number") {
    const arr = Array.isArray(value) ? [...value] : [];
    arr[head] = setAt(arr[head], rest, next);
    return arr;
  }
  const obj: Record<string, unknown> = value && typeof value === "object" && !Array.isArray(value) ? { ...(value as object) } : {};
  const child = setAt(obj[head], rest, next);
  if (child === undefined) delete obj[head];
  else obj[head] = child;
  return obj;
}

/** Renames a record key keeping its position (so the row under the cursor does not jump). */
export function renameKey(record: Record<string, unknown>, from: string, to: string): Record<string, unknown> {
  if (from === to) return record;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) out[k === from ? to : k] = v;
  return out;
}

// ---------- errors ----------

export interface IssueLike {
  path: readonly PropertyKey[];
  message: string;
  code?: string;
  keys?: string[];
}

/** Errors keyed by path (`""` for the config as a whole). */
export function errorsByPath(issues: readonly IssueLike[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const i of issues) {
    const key = formatPath(i.path);
    (out[key] ??= []).push(i.message);
  }
  return out;
}

/** Errors of `config` against the processor's zod schema, keyed by path (the wording of validateFlow). */
export function configErrors(schema: z.ZodType, config: unknown): Record<string, string[]> {
  const r = checkSchema(schema, config);
  if (r.ok) return {};
  const out: Record<string, string[]> = {};
  for (const e of r.errors) (out[e.path] ??= []).push(e.message);
  return out;
}

export function pathKey(path: Path): string {
  return formatPath(path);
}

/** Every path the form renders for `value`: errors at any other path are shown at the top. */
export function renderedPaths(fields: Field[], value: unknown, prefix: Path = []): Set<string> {
  const out = new Set<string>();
  const visit = (f: Field, path: Path, v: unknown) => {
    out.add(pathKey(path));
    if (f.kind === "object") for (const sub of f.fields) visit(sub, [...path, sub.key], getAt(v, [sub.key]));
    if (f.kind === "array" && Array.isArray(v)) v.forEach((item, i) => visit(f.item, [...path, i], item));
    if (f.kind === "record" && v && typeof v === "object") for (const [k, item] of Object.entries(v)) visit(f.value, [...path, k], item);
  };
  for (const f of fields) visit(f, f.key === "" ? prefix : [...prefix, f.key], f.key === "" ? value : getAt(value, [f.key]));
  return out;
}

export function unclaimedErrors(errors: Record<string, string[]>, rendered: Set<string>): string[] {
  const out: string[] = [];
  for (const [k, msgs] of Object.entries(errors)) if (!rendered.has(k)) for (const m of msgs) out.push(k ? `${k}: ${m}` : m);
  return out;
}
