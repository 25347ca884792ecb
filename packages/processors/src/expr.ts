import jsonata from "jsonata";
import type { MRecord } from "./sdk.js";

/**
 * JSONata expressions, compiled once (in `create()` or a schema check), evaluated per record
 * against `{ value, key, headers }`. Browser-safe: the config form uses `checkExpression`.
 */

/** Guards applied to every evaluation: a runaway expression fails its record, not the flow. */
export interface ExprLimits {
  /** wall-clock limit of one evaluation (ms) */
  timeoutMs: number;
  /** maximum evaluation depth (recursion guard) */
  maxDepth: number;
  /** maximum length of one sequence */
  maxSequence: number;
}

export const DEFAULT_EXPR_LIMITS: ExprLimits = { timeoutMs: 1000, maxDepth: 500, maxSequence: 1_000_000 };

/** Thrown by `compileExpression` and `CompiledExpression.evaluate`, with a readable message. */
export class ExpressionError extends Error {
  readonly code: string | undefined;
  readonly position: number | undefined;
  constructor(message: string, code?: string, position?: number) {
    super(message);
    this.name = "ExpressionError";
    this.code = code;
    this.position = position;
  }
}

interface JsonataErrorLike {
  code?: string;
  position?: number;
  token?: string;
  message?: string;
}

function describe(e: unknown, what: string): ExpressionError {
  if (e instanceof ExpressionError) return e;
  if (e && typeof e === "object") {
    const je = e as JsonataErrorLike;
    const msg = typeof je.message === "string" && je.message ? je.message : String(e);
    const where = typeof je.position === "number" && je.position > 0 ? ` at position ${je.position}` : "";
    const code = typeof je.code === "string" ? ` [${je.code}]` : "";
    return new ExpressionError(`${what}: ${msg}${where}${code}`, je.code, je.position);
  }
  return new ExpressionError(`${what}: ${String(e)}`);
}

export interface CompiledExpression {
  readonly source: string;
  /** Evaluates against an arbitrary input; rejects with an ExpressionError. */
  evaluate(input: unknown, bindings?: Record<string, unknown>): Promise<unknown>;
  /**
   * Evaluates against `{ value, key, headers }` of the record. Simple paths (`value.a.b`, `key`,
   * `headers.h`) are read directly, without JSONata's async evaluator, when no array is on the
   * way (arrays keep JSONata's mapping semantics); so the result may be a plain value: `await` it.
   */
  evaluateRecord(record: MRecord, bindings?: Record<string, unknown>): unknown | Promise<unknown>;
  /**
   * The direct reader of a simple expression (see evaluateRecord): the value, or NOT_DIRECT when
   * this record needs JSONata. Absent when the expression is never read directly.
   */
  readonly direct?: (record: MRecord) => unknown;
}

const SIMPLE_PATH = /^\s*(value|key|headers)((?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*$/;
/** What `CompiledExpression.direct` returns for a record that needs JSONata's evaluator. */
export const NOT_DIRECT: unique symbol = Symbol("not direct");
const MISS = NOT_DIRECT;

/** A reader for a plain dotted path, or undefined when the expression is anything else. */
function simplePath(source: string): ((r: MRecord) => unknown) | undefined {
  const m = SIMPLE_PATH.exec(source);
  if (!m) return undefined;
  const root = m[1] as "value" | "key" | "headers";
  const steps = m[2] ? m[2].split(".").map((x) => x.trim()).filter(Boolean) : [];
  return pathReader(root, steps);
}

type Fast = (r: MRecord) => unknown;
type Ast = { type?: unknown; value?: unknown; steps?: unknown; lhs?: unknown; rhs?: unknown; expression?: unknown; [k: string]: unknown };

/**
 * true when `node` has no own keys but `allowed` (JSONata marks predicates, grouping, focus...
 * with extra keys). Own keys only: JSONata's parser makes its nodes with `Object.create(symbol)`,
 * whose prototype has enumerable parser fields (nud, led, lbp...) that `for...in` would list.
 */
function only(node: Ast, allowed: readonly string[]): boolean {
  for (const k of Object.keys(node)) if (!allowed.includes(k)) return false;
  return true;
}

const NUMERIC = new Set(["+", "-", "*", "/", "%"]);

/**
 * Compiles a small subset of JSONata to a plain function, from JSONata's own AST: simple paths
 * rooted at value/key/headers, number and string literals, `+ - * / %`, `=` and `!=`, `< <= > >=`,
 * `and` and `or`, unary minus
 * and object constructors `{ "literal key": <any of these> }`. Semantics are JSONata's
 * (evaluateNumericExpression, evaluateEqualityExpression, evaluateGroupExpression in jsonata 2.x):
 * an undefined operand makes arithmetic undefined and equality false; an undefined value drops
 * its key; the object has a null prototype. Whatever could differ — an operand that is not a
 * finite number, a non-finite result, an array on a path (sequence semantics), objects compared
 * with `=` — returns MISS, and the caller evaluates the whole expression with JSONata, which
 * then gives its exact result or error. Returns undefined when the AST is outside the subset.
 */
function compileAst(node: Ast, top = true): Fast | undefined {
  if (!node || typeof node !== "object") return undefined;
  switch (node.type) {
    case "number":
    case "string": {
      if (!only(node, ["type", "value", "position"])) return undefined;
      const v = node.value;
      return top ? undefined : () => v; // a bare literal is not worth a fast path
    }
    case "path": {
      if (!only(node, ["type", "steps", "position"]) || !Array.isArray(node.steps) || !node.steps.length) return undefined;
      const names: string[] = [];
      for (const s of node.steps as Ast[]) {
        if (!s || s.type !== "name" || typeof s.value !== "string" || !only(s, ["type", "value", "position"])) return undefined;
        names.push(s.value);
      }
      const root = names[0];
      if (root !== "value" && root !== "key" && root !== "headers") return undefined;
      return pathReader(root, names.slice(1));
    }
    case "binary": {
      const op = node.value;
      if (!only(node, ["type", "value", "position", "lhs", "rhs"]) || typeof op !== "string") return undefined;
      const l = compileAst(node.lhs as Ast, false);
      const r = compileAst(node.rhs as Ast, false);
      if (!l || !r) return undefined;
      if (NUMERIC.has(op)) {
        const f = op === "+" ? (a: number, b: number) => a + b : op === "-" ? (a: number, b: number) => a - b : op === "*" ? (a: number, b: number) => a * b : op === "/" ? (a: number, b: number) => a / b : (a: number, b: number) => a % b;
        return (rec) => {
          const a = l(rec);
          if (a === MISS) return MISS;
          const b = r(rec);
          if (b === MISS) return MISS;
          if ((a !== undefined && !(typeof a === "number" && Number.isFinite(a))) || (b !== undefined && !(typeof b === "number" && Number.isFinite(b)))) return MISS;
          if (a === undefined || b === undefined) return undefined;
          const x = f(a as number, b as number);
          return Number.isFinite(x) ? x : MISS;
        };
      }
      if (op === "<" || op === "<=" || op === ">" || op === ">=") {
        const compare = op === "<" ? (a: number | string, b: number | string) => a < b : op === "<=" ? (a: number | string, b: number | string) => a <= b : op === ">" ? (a: number | string, b: number | string) => a > b : (a: number | string, b: number | string) => a >= b;
        return (rec) => {
          const a = l(rec);
          if (a === MISS) return MISS;
          const b = r(rec);
          if (b === MISS) return MISS;
          const ta = typeof a;
          const tb = typeof b;
          // what JSONata refuses (T2009, T2010) or treats specially: its own evaluator says how
          if ((ta !== "undefined" && ta !== "number" && ta !== "string") || (tb !== "undefined" && tb !== "number" && tb !== "string")) return MISS;
          if (a === undefined || b === undefined) return undefined;
          if (ta !== tb || (ta === "number" && !(Number.isFinite(a) && Number.isFinite(b)))) return MISS;
          return compare(a as number | string, b as number | string);
        };
      }
      if (op === "and" || op === "or") {
        const and = op === "and";
        return (rec) => {
          const a = l(rec);
          if (a === MISS) return MISS;
          const left = jsonataTruthy(a);
          // JSONata does not evaluate the right side once the left decides
          if (and ? !left : left) return left;
          const b = r(rec);
          return b === MISS ? MISS : jsonataTruthy(b);
        };
      }
      if (op === "=" || op === "!=") {
        const eq = op === "=";
        return (rec) => {
          const a = l(rec);
          if (a === MISS) return MISS;
          const b = r(rec);
          if (b === MISS) return MISS;
          if (a === undefined || b === undefined) return false;
          if ((typeof a === "object" && a !== null) || (typeof b === "object" && b !== null)) return MISS; // deep equality: JSONata's
          if (typeof a === "number" && !Number.isFinite(a)) return MISS;
          return (a === b) === eq;
        };
      }
      return undefined;
    }
    case "unary": {
      if (node.value === "-") {
        if (!only(node, ["type", "value", "position", "expression"])) return undefined;
        const e = compileAst(node.expression as Ast, false);
        if (!e) return undefined;
        return (rec) => {
          const a = e(rec);
          if (a === undefined || a === MISS) return a;
          return typeof a === "number" && Number.isFinite(a) ? -a : MISS;
        };
      }
      if (node.value === "{") {
        if (!only(node, ["type", "value", "position", "lhs"]) || !Array.isArray(node.lhs)) return undefined;
        const keys: string[] = [];
        const values: Fast[] = [];
        for (const pair of node.lhs as Ast[][]) {
          if (!Array.isArray(pair) || pair.length !== 2) return undefined;
          const k = pair[0]!;
          if (k.type !== "string" || typeof k.value !== "string" || !only(k, ["type", "value", "position"])) return undefined;
          // same key twice is JSONata's error D1009; these names are refused by JSONata (D1013)
          if (keys.includes(k.value) || k.value === "_jsonata_lambda" || k.value === "_jsonata_function") return undefined;
          const v = compileAst(pair[1]!, false);
          if (!v) return undefined;
          keys.push(k.value);
          values.push(v);
        }
        const n = keys.length;
        return (rec) => {
          const out = Object.create(null) as Record<string, unknown>;
          for (let i = 0; i < n; i++) {
            const v = values[i]!(rec);
            if (v === MISS) return MISS;
            if (v !== undefined) out[keys[i]!] = v;
          }
          return out;
        };
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function pathReader(root: "value" | "key" | "headers", steps: string[]): Fast {
  const n = steps.length;
  return (r) => {
    let cur: unknown = r[root];
    for (let i = 0; i < n; i++) {
      if (cur === undefined || cur === null) return undefined;
      if (typeof cur !== "object" || Array.isArray(cur)) return typeof cur === "object" ? MISS : undefined;
      cur = Object.prototype.hasOwnProperty.call(cur, steps[i]) ? (cur as Record<string, unknown>)[steps[i]!] : undefined;
    }
    return Array.isArray(cur) || typeof cur === "function" ? MISS : cur;
  };
}

/** Compiles a JSONata expression once; throws ExpressionError (syntax errors with position). */
export function compileExpression(source: string, limits: Partial<ExprLimits> = {}): CompiledExpression {
  const l = { ...DEFAULT_EXPR_LIMITS, ...limits };
  let expr: jsonata.Expression;
  try {
    expr = jsonata(source, { timeout: l.timeoutMs, stack: l.maxDepth, sequence: l.maxSequence });
  } catch (e) {
    throw describe(e, "invalid expression");
  }
  const evaluate = async (input: unknown, bindings?: Record<string, unknown>): Promise<unknown> => {
    try {
      return await expr.evaluate(input, bindings);
    } catch (e) {
      throw describe(e, "expression failed");
    }
  };
  let fast: Fast | undefined = simplePath(source);
  if (!fast) {
    try {
      fast = compileAst(expr.ast() as Ast);
    } catch {
      fast = undefined;
    }
  }
  return {
    source,
    evaluate,
    direct: fast,
    // The record already has exactly the fields `value`, `key`, `headers`: no wrapper object needed.
    evaluateRecord: fast
      ? (record, bindings) => {
          const v = fast(record);
          return v === MISS ? evaluate(record, bindings) : v;
        }
      : (record, bindings) => evaluate(record, bindings),
  };
}

/** Returns undefined when `source` compiles, else the reason (for schema checks and the UI). */
export function checkExpression(source: string): string | undefined {
  try {
    jsonata(source);
    return undefined;
  } catch (e) {
    return describe(e, "invalid expression").message;
  }
}

/** JSONata's `$boolean` casting: what a filter or route treats as true. */
export function jsonataTruthy(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  switch (typeof v) {
    case "boolean":
      return v;
    case "number":
      return v !== 0;
    case "string":
      return v.length > 0;
    case "function":
      return false;
    case "object":
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (jsonataTruthy(v[i])) return true;
        return false;
      }
      for (const _ in v) return true;
      return false;
    default:
      return Boolean(v);
  }
}

/** A header or key value from an expression result: strings as is, other JSON encoded. */
export function toHeaderString(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (typeof v === "function") throw new ExpressionError("expression returned a function, not a value");
  return JSON.stringify(v);
}

/** A JSON-able record value from an expression result (functions are not values). */
export function checkValue(v: unknown): unknown {
  if (typeof v === "function") throw new ExpressionError("expression returned a function, not a value");
  return v;
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (e && typeof e === "object" && typeof (e as { message?: unknown }).message === "string") return (e as { message: string }).message;
  return String(e);
}
