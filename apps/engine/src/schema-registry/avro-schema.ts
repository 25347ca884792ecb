import { createHash } from "node:crypto";
import avro from "avsc";
import { invalidSchema } from "./errors.js";

/** A schema as the registry keeps it: parsed (for compatibility), its text and the fingerprint that identifies it. */
export interface ParsedSchema {
  type: avro.Type;
  /** the JSON as sent, without insignificant whitespace: what the registry stores and hands back */
  text: string;
  /** sha256 of the text with every object's keys sorted: equal for schemas that differ only in spacing or key order */
  fingerprint: string;
}

/**
 * What one schema may hold. Beyond its size and nesting, the parts Avro schema resolution
 * (compatibility checks) spends quadratic time on are bounded: union branches (each writer
 * branch is tried against each reader branch), enum symbols (matched by a linear search each)
 * and, through the fields, named types and fields, the work of a whole check.
 */
export interface SchemaBounds {
  maxSchemaBytes: number;
  maxSchemaDepth: number;
  /** branches of one union */
  maxUnionBranches: number;
  /** the sum over every union of its branches squared: how many branch pairs a check may try */
  maxUnionBranchPairs: number;
  /** records, errors, enums and fixed types defined */
  maxNamedTypes: number;
  /** fields of all records together */
  maxFields: number;
  /** symbols of all enums together */
  maxEnumSymbols: number;
}

/**
 * Parses an Avro schema given as JSON text, refusing (42201) what is not one, with avsc's reason.
 * The fingerprint is not Avro's Parsing Canonical Form: that form drops defaults, docs and
 * aliases, and a default decides compatibility, so two schemas differing in one must keep two ids.
 */
export function parseAvroSchema(text: string, bounds: SchemaBounds): ParsedSchema {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > bounds.maxSchemaBytes) throw invalidSchema(`the schema is ${bytes} bytes, more than this registry's limit of ${bounds.maxSchemaBytes} (MILLRACE_SCHEMA_REGISTRY_MAX_SCHEMA_BYTES)`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalidSchema(`the schema is not JSON (${(e as Error).message})`);
  }
  if (tooDeep(json, bounds.maxSchemaDepth)) throw invalidSchema(`the schema nests deeper than ${bounds.maxSchemaDepth} levels`);
  const unsafe = unsafeIntegerAt(json, "$");
  if (unsafe) throw invalidSchema(`the number at ${unsafe} is a whole number beyond ±2^53-1, which JSON parsing here cannot keep exactly: write it as a smaller number`);
  checkParts(json, bounds);
  let type: avro.Type;
  try {
    type = avro.Type.forSchema(json as avro.Schema);
  } catch (e) {
    throw invalidSchema(`not a valid Avro schema: ${(e as Error).message}`);
  }
  return { type, text: JSON.stringify(json), fingerprint: createHash("sha256").update(JSON.stringify(json, sortedKeys)).digest("hex") };
}

/** The text indented for people (the designer shows it). */
export function prettySchema(text: string): string {
  return JSON.stringify(JSON.parse(text), null, 2);
}

function sortedKeys(_key: string, value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  // no prototype: a "__proto__" key is then a key like any other, not the object's prototype
  const sorted = Object.create(null) as Record<string, unknown>;
  for (const k of Object.keys(value).sort()) sorted[k] = (value as Record<string, unknown>)[k];
  return sorted;
}

/** Stops descending at the bound, so the check itself never runs deep. */
function tooDeep(value: unknown, left: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (left <= 0) return true;
  for (const v of Array.isArray(value) ? value : Object.values(value)) if (tooDeep(v, left - 1)) return true;
  return false;
}

/** Where (a JSON path) the first whole number too large for a double to hold exactly is, if any. */
function unsafeIntegerAt(value: unknown, path: string): string | undefined {
  if (typeof value === "number") return Number.isInteger(value) && !Number.isSafeInteger(value) ? path : undefined;
  if (typeof value !== "object" || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const at = unsafeIntegerAt(value[i], `${path}[${i}]`);
      if (at) return at;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    const at = unsafeIntegerAt(v, `${path}.${k}`);
    if (at) return at;
  }
  return undefined;
}

/**
 * Counts what SchemaBounds bounds, following the places a type may stand (shapes Avro would
 * refuse are passed over: avsc says what is wrong with them), and refuses with where it was.
 */
function checkParts(json: unknown, bounds: SchemaBounds): void {
  const count = { unionBranchPairs: 0, namedTypes: 0, fields: 0, enumSymbols: 0 };
  const visit = (type: unknown, path: string): void => {
    if (Array.isArray(type)) {
      if (type.length > bounds.maxUnionBranches) throw invalidSchema(`the union at ${path} has ${type.length} branches, more than this registry's limit of ${bounds.maxUnionBranches}`);
      count.unionBranchPairs += type.length * type.length;
      if (count.unionBranchPairs > bounds.maxUnionBranchPairs) {
        throw invalidSchema(`the unions up to ${path} have ${count.unionBranchPairs} branch pairs (the sum of each union's branches squared), more than this registry's limit of ${bounds.maxUnionBranchPairs}: use fewer or smaller unions`);
      }
      type.forEach((branch, i) => visit(branch, `${path}[${i}]`));
      return;
    }
    if (typeof type !== "object" || type === null) return;
    const t = type as { type?: unknown; fields?: unknown; symbols?: unknown; items?: unknown; values?: unknown };
    switch (t.type) {
      case "record":
      case "error":
        named(path);
        if (!Array.isArray(t.fields)) return;
        count.fields += t.fields.length;
        if (count.fields > bounds.maxFields) throw invalidSchema(`the records up to ${path} have ${count.fields} fields together, more than this registry's limit of ${bounds.maxFields}`);
        t.fields.forEach((f: unknown, i) => {
          if (typeof f === "object" && f !== null) visit((f as { type?: unknown }).type, `${path}.fields[${i}].type`);
        });
        return;
      case "enum":
        named(path);
        if (!Array.isArray(t.symbols)) return;
        count.enumSymbols += t.symbols.length;
        if (count.enumSymbols > bounds.maxEnumSymbols) throw invalidSchema(`the enums up to ${path} have ${count.enumSymbols} symbols together, more than this registry's limit of ${bounds.maxEnumSymbols}`);
        return;
      case "fixed":
        named(path);
        return;
      case "array":
        visit(t.items, `${path}.items`);
        return;
      case "map":
        visit(t.values, `${path}.values`);
        return;
      default:
        // {"type": {...}} or {"type": [...]}: the type stands one level down
        if (typeof t.type === "object") visit(t.type, `${path}.type`);
    }
  };
  const named = (path: string) => {
    if (++count.namedTypes > bounds.maxNamedTypes) throw invalidSchema(`the schema defines more than ${bounds.maxNamedTypes} named types (records, enums, fixed), this registry's limit; the one over it is at ${path}`);
  };
  visit(json, "$");
}
