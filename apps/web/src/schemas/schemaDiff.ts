/**
 * What changed between two versions of an Avro schema, field by field, in words a person reads
 * next to the schema: fields added, removed, or whose type or default changed. Nested records
 * (also inside a union with null) are walked, so a field deep down is named by its dotted path.
 * Pure: parsed schemas in, a list out; the page renders it.
 */

export type FieldChange =
  | { kind: "added"; path: string; type: string; defaultValue?: string; required: boolean }
  | { kind: "removed"; path: string; type: string }
  | { kind: "changed"; path: string; what: "type" | "default"; before: string; after: string };

const PRIMITIVES = new Set(["null", "boolean", "int", "long", "float", "double", "bytes", "string"]);

interface AvroField {
  name: string;
  type: unknown;
  default?: unknown;
}
interface AvroRecord {
  type: "record" | "error";
  name: string;
  fields: AvroField[];
}

/** Named types (records, enums, fixed) a schema defines, by name and full name, so references resolve. */
type NamedTypes = Map<string, Record<string, unknown>>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isRecord(value: unknown): value is AvroRecord {
  return isObject(value) && (value.type === "record" || value.type === "error") && Array.isArray(value.fields);
}

/** A named type's full name (`shop.Order`): its own dotted name, else its namespace or the enclosing one in front. */
export function fullName(named: Record<string, unknown>, enclosingNamespace: string | undefined): string {
  const name = String(named.name);
  if (name.includes(".")) return name;
  const namespace = typeof named.namespace === "string" ? named.namespace : enclosingNamespace;
  return namespace ? `${namespace}.${name}` : name;
}

function collectNamed(schema: unknown, into: NamedTypes, namespace?: string): void {
  if (Array.isArray(schema)) {
    for (const branch of schema) collectNamed(branch, into, namespace);
    return;
  }
  if (!isObject(schema)) return;
  const type = schema.type;
  if ((type === "record" || type === "error" || type === "enum" || type === "fixed") && typeof schema.name === "string") {
    const full = fullName(schema, namespace);
    into.set(full, schema);
    into.set(String(schema.name).split(".").pop()!, schema);
    const inner = full.includes(".") ? full.slice(0, full.lastIndexOf(".")) : undefined;
    if (Array.isArray(schema.fields)) for (const field of schema.fields) if (isObject(field)) collectNamed(field.type, into, inner);
    return;
  }
  if (type === "array") collectNamed(schema.items, into, namespace);
  else if (type === "map") collectNamed(schema.values, into, namespace);
  else if (isObject(type) || Array.isArray(type)) collectNamed(type, into, namespace);
}

/** An Avro type as one short line: `string`, `null | long`, `array<string>`, `Address` (a record), `int (date)`. */
export function typeLabel(type: unknown): string {
  if (typeof type === "string") return type;
  if (Array.isArray(type)) return type.map(typeLabel).join(" | ");
  if (!isObject(type)) return JSON.stringify(type) ?? "?";
  const kind = type.type;
  const logical = typeof type.logicalType === "string" ? ` (${type.logicalType})` : "";
  if (kind === "array") return `array<${typeLabel(type.items)}>`;
  if (kind === "map") return `map<${typeLabel(type.values)}>`;
  if (kind === "enum") return `enum ${String(type.name)}`;
  if (kind === "fixed") return `fixed ${String(type.name)}(${String(type.size)})${logical}`;
  if (kind === "record" || kind === "error") return String(type.name);
  return `${typeLabel(kind)}${logical}`;
}

function defaultLabel(value: unknown): string {
  return JSON.stringify(value) ?? "undefined";
}

/** The record a field's type stands for (itself, a reference to one, or the one record in a union), if any. */
function recordOf(type: unknown, named: NamedTypes): AvroRecord | undefined {
  if (isRecord(type)) return type;
  if (typeof type === "string" && !PRIMITIVES.has(type)) {
    const found = named.get(type);
    return isRecord(found) ? found : undefined;
  }
  if (Array.isArray(type)) {
    const records = type.map((branch) => recordOf(branch, named)).filter((r) => r !== undefined);
    return records.length === 1 ? records[0] : undefined;
  }
  return undefined;
}

function fieldsOf(record: AvroRecord): AvroField[] {
  return record.fields.filter((f): f is AvroField => isObject(f) && typeof f.name === "string");
}

/**
 * The changes that turn `before` into `after` (both parsed Avro schemas): in the order of the new
 * schema's fields, removed ones where they used to be. A schema that is not a record compares as a
 * whole (path ""). `before` undefined: a first version, every field added.
 */
export function diffSchemas(before: unknown, after: unknown): FieldChange[] {
  const namedBefore: NamedTypes = new Map();
  const namedAfter: NamedTypes = new Map();
  collectNamed(before, namedBefore);
  collectNamed(after, namedAfter);
  const changes: FieldChange[] = [];
  const oldRecord = before === undefined ? undefined : recordOf(before, namedBefore);
  const newRecord = recordOf(after, namedAfter);
  if (before !== undefined && (!oldRecord || !newRecord)) {
    const was = typeLabel(before);
    const now = typeLabel(after);
    if (was !== now) changes.push({ kind: "changed", path: "", what: "type", before: was, after: now });
    return changes;
  }
  if (!newRecord) return changes;
  diffRecords(oldRecord, newRecord, "", { namedBefore, namedAfter, walking: new Set() }, changes);
  return changes;
}

interface Walk {
  namedBefore: NamedTypes;
  namedAfter: NamedTypes;
  /** record names on the current path: a recursive type (a linked list) is walked once */
  walking: Set<string>;
}

function diffRecords(before: AvroRecord | undefined, after: AvroRecord, prefix: string, walk: Walk, out: FieldChange[]): void {
  if (walk.walking.has(after.name)) return;
  walk.walking.add(after.name);
  const oldFields = new Map((before ? fieldsOf(before) : []).map((f) => [f.name, f]));
  const newNames = new Set(fieldsOf(after).map((f) => f.name));
  const removedAt = (name: string) => ({ kind: "removed" as const, path: prefix + name, type: typeLabel(oldFields.get(name)!.type) });
  // a removed field is reported just before the first surviving field that came after it
  const pendingRemoved = before ? fieldsOf(before).filter((f) => !newNames.has(f.name)).map((f) => f.name) : [];
  const oldOrder = before ? fieldsOf(before).map((f) => f.name) : [];
  const flushRemovedBefore = (name: string | undefined) => {
    const upTo = name === undefined ? oldOrder.length : oldOrder.indexOf(name);
    while (pendingRemoved.length && oldOrder.indexOf(pendingRemoved[0]!) < upTo) out.push(removedAt(pendingRemoved.shift()!));
  };
  for (const field of fieldsOf(after)) {
    const path = prefix + field.name;
    const old = oldFields.get(field.name);
    if (!old) {
      out.push({
        kind: "added",
        path,
        type: typeLabel(field.type),
        ...("default" in field ? { defaultValue: defaultLabel(field.default) } : {}),
        required: !("default" in field),
      });
      continue;
    }
    flushRemovedBefore(field.name);
    const wasType = typeLabel(old.type);
    const nowType = typeLabel(field.type);
    const oldInner = recordOf(old.type, walk.namedBefore);
    const newInner = recordOf(field.type, walk.namedAfter);
    if (wasType !== nowType) out.push({ kind: "changed", path, what: "type", before: wasType, after: nowType });
    const wasDefault = "default" in old ? defaultLabel(old.default) : "none";
    const nowDefault = "default" in field ? defaultLabel(field.default) : "none";
    if (wasDefault !== nowDefault) out.push({ kind: "changed", path, what: "default", before: wasDefault, after: nowDefault });
    if (oldInner && newInner) diffRecords(oldInner, newInner, `${path}.`, walk, out);
  }
  flushRemovedBefore(undefined);
  walk.walking.delete(after.name);
}

/** One change as a line of text: "+ email: null | string (default null)", "~ amount: int → long". */
export function describeChange(change: FieldChange): string {
  const where = change.path || "(whole schema)";
  switch (change.kind) {
    case "added":
      return `+ ${where}: ${change.type}${change.required ? " (required, no default)" : ` (default ${change.defaultValue})`}`;
    case "removed":
      return `− ${where}: ${change.type}`;
    case "changed":
      return change.what === "type" ? `~ ${where}: ${change.before} → ${change.after}` : `~ ${where} default: ${change.before} → ${change.after}`;
  }
}
