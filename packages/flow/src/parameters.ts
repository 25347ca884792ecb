import type { FlowDocument, FlowParameter } from "./document.js";
import type { PathSegment } from "./errors.js";

/**
 * Parameters: `#{name}` inside any string of a node's config is replaced by the parameter's
 * value at deploy time; `##{` writes a literal `#{` (as in NiFi). Configs are validated with
 * the references still in place, so validation never sees (or echoes) a sensitive value.
 */

/** Matches an escape `##{` or a reference `#{name}` (name as ParameterSchema allows). */
const REFERENCE = /##\{|#\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;

export interface ParameterReference {
  /** Path relative to the walked value, e.g. ["brokers", 0]. */
  path: PathSegment[];
  name: string;
}

/** Names referenced in one string, in order (duplicates kept). */
export function referencesIn(text: string): string[] {
  if (!text.includes("#{")) return [];
  const names: string[] = [];
  for (const m of text.matchAll(REFERENCE)) if (m[1] !== undefined) names.push(m[1]);
  return names;
}

/**
 * Every `#{name}` in the strings of a JSON value (object keys are not scanned: they name
 * fields, they are not values). Expects a checked JSON value (bounded depth).
 */
export function findParameterReferences(value: unknown, base: PathSegment[] = []): ParameterReference[] {
  const out: ParameterReference[] = [];
  const walk = (v: unknown, path: PathSegment[]) => {
    if (typeof v === "string") {
      for (const name of referencesIn(v)) out.push({ path, name });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, [...path, i]));
    } else if (typeof v === "object" && v !== null) {
      for (const [k, item] of Object.entries(v)) walk(item, [...path, k]);
    }
  };
  walk(value, base);
  return out;
}

/**
 * `text` with each `#{name}` replaced by `replace(name)`, or left as written when that is
 * undefined; escapes `##{` stay as written.
 */
export function replaceReferences(text: string, replace: (name: string) => string | undefined): string {
  if (!text.includes("#{")) return text;
  return text.replace(REFERENCE, (match, name: string | undefined) => (name === undefined ? match : (replace(name) ?? match)));
}

function substituteString(text: string, values: ReadonlyMap<string, string>): string {
  if (!text.includes("#{")) return text;
  return text.replace(REFERENCE, (match, name: string | undefined) => {
    if (name === undefined) return "#{"; // the `##{` escape
    const value = values.get(name);
    // An undefined reference stays as written; validateFlow reports it before any deploy.
    return value === undefined ? match : value;
  });
}

/**
 * Returns a deep copy of `config` with `#{name}` replaced in every string (not in keys).
 * Never mutates its input. Copies are built with Object.fromEntries so a `__proto__` key
 * stays an ordinary own property instead of swapping the copy's prototype.
 */
export function substituteParameters<T>(config: T, parameters: readonly FlowParameter[]): T {
  const values = new Map<string, string>();
  for (const p of parameters) values.set(p.name, p.value);
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return substituteString(v, values);
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item)]));
    return v;
  };
  return walk(config) as T;
}

/** A copy whose sensitive parameter values are "" — what may be exported or sent to a browser. */
export function redactSensitive(doc: FlowDocument): FlowDocument {
  return { ...doc, parameters: doc.parameters.map((p) => (p.sensitive ? { ...p, value: "" } : p)) };
}

/**
 * The inverse direction: a browser sends back a document whose sensitive values are "".
 * For each sensitive parameter left empty, keep the value `stored` had under the same name
 * (if it was sensitive there too), so saving an edited flow does not wipe its secrets.
 */
export function restoreSensitive(edited: FlowDocument, stored: FlowDocument): FlowDocument {
  const secrets = new Map<string, string>();
  for (const p of stored.parameters) if (p.sensitive) secrets.set(p.name, p.value);
  return {
    ...edited,
    parameters: edited.parameters.map((p) =>
      p.sensitive && p.value === "" && secrets.has(p.name) ? { ...p, value: secrets.get(p.name)! } : p,
    ),
  };
}

/** Sensitive values present in any (even malformed) input, for scrubbing error messages. */
export function sensitiveValuesOf(input: unknown): string[] {
  try {
    const params = (input as { parameters?: unknown } | null)?.parameters;
    if (!Array.isArray(params)) return [];
    const out: string[] = [];
    for (const p of params) {
      if (typeof p === "object" && p !== null && (p as FlowParameter).sensitive === true) {
        const v = (p as FlowParameter).value;
        if (typeof v === "string" && v !== "") out.push(v);
      }
    }
    return out;
  } catch {
    return [];
  }
}
