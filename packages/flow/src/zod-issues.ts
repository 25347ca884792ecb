import type { z } from "zod";
import { formatPath, quote, truncate, type FlowError, type PathSegment } from "./errors.js";

/**
 * Runs a zod schema and turns its issues into FlowErrors with short, friendly messages
 * ("required", "expected number, got string"). Friendly texts are produced by a per-parse
 * error map, which zod ranks below messages the schema author wrote, so a processor's own
 * message (`z.string().regex(re, "letters only")`) is kept as written.
 */

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number" && Number.isNaN(value)) return "NaN";
  return typeof value;
}

const EXPECTED_NAMES: Record<string, string> = { record: "object", int: "integer", nonoptional: "a value" };

function bound(issue: { origin?: string; inclusive?: boolean; exact?: boolean }, n: number | bigint, small: boolean): string {
  const sized: Record<string, string> = { string: "characters", array: "items", set: "items", file: "bytes" };
  const unit = issue.origin ? sized[issue.origin] : undefined;
  if (unit) {
    if (issue.exact) return `must have exactly ${n} ${unit}`;
    if (small && Number(n) === 1 && issue.origin === "string") return "must not be empty";
    return `must have ${small ? "at least" : "at most"} ${n} ${unit}`;
  }
  if (issue.exact) return `must be exactly ${n}`;
  const op = small ? (issue.inclusive ? ">=" : ">") : issue.inclusive ? "<=" : "<";
  return `must be ${op} ${n}`;
}

/** Friendly message for a raw issue; used as the per-parse error map. */
export function friendlyMessage(issue: RawIssue): string {
  switch (issue.code) {
    case "invalid_type": {
      if (issue.input === undefined) return "required";
      const expected = EXPECTED_NAMES[issue.expected] ?? issue.expected;
      if (expected === "number" && typeof issue.input === "number") return `expected a finite number, got ${issue.input}`;
      return `expected ${expected}, got ${typeName(issue.input)}`;
    }
    case "invalid_value": {
      if (issue.input === undefined) return "required";
      const values = issue.values.map((v) => (typeof v === "string" ? quote(v) : String(v)));
      const wanted = values.length === 1 ? `expected ${values[0]}` : `expected one of ${values.join(", ")}`;
      // Say the type when it differs ("1" vs 1); the value itself is not echoed.
      const sameType = issue.values.some((v) => typeof v === typeof issue.input);
      return sameType ? wanted : `${wanted}, got ${typeName(issue.input)}`;
    }
    case "too_small":
      return bound(issue, issue.minimum, true);
    case "too_big":
      return bound(issue, issue.maximum, false);
    case "invalid_format":
      if (issue.format === "regex") return `does not match the pattern ${truncate(String(issue.pattern ?? ""))}`;
      if (issue.format === "starts_with") return `must start with ${quote((issue as { prefix?: string }).prefix)}`;
      if (issue.format === "ends_with") return `must end with ${quote((issue as { suffix?: string }).suffix)}`;
      if (issue.format === "includes") return `must include ${quote((issue as { includes?: string }).includes)}`;
      return `invalid ${issue.format}`;
    case "not_multiple_of":
      return `must be a multiple of ${issue.divisor}`;
    case "unrecognized_keys":
      return "unknown field";
    case "invalid_key":
      return "invalid key";
    case "invalid_element":
      return "invalid element";
    case "invalid_union":
      return "does not match any allowed form";
    default:
      return "invalid value";
  }
}

/** Flattens nested issues (unions, record keys, unknown keys) into FlowErrors under `prefix`. */
function collect(issue: Issue, prefix: readonly PathSegment[], out: FlowError[]): void {
  const here = [...prefix, ...(issue.path as PathSegment[])];
  switch (issue.code) {
    case "unrecognized_keys":
      // One error per key: the path then points at the offending field itself.
      for (const key of issue.keys) out.push({ path: formatPath([...here, key]), message: issue.message });
      return;
    case "invalid_key":
    case "invalid_element":
      for (const inner of issue.issues) collect(inner, here, out);
      return;
    case "invalid_union": {
      const branches = issue.errors;
      if (branches.length === 0) break;
      // "expected "all" or integer" when every branch only disagrees about this value itself.
      const simple = branches.every(
        (b) => b.length === 1 && b[0].path.length === 0 && (b[0].code === "invalid_type" || b[0].code === "invalid_value"),
      );
      if (simple) {
        if (issue.input === undefined) {
          out.push({ path: formatPath(here), message: "required" });
        } else {
          const names = branches.flatMap(([b]) =>
            b.code === "invalid_type"
              ? [EXPECTED_NAMES[b.expected] ?? b.expected]
              : b.code === "invalid_value"
                ? b.values.map((v) => (typeof v === "string" ? quote(v) : String(v)))
                : [],
          );
          out.push({ path: formatPath(here), message: `expected ${[...new Set(names)].join(" or ")}, got ${typeName(issue.input)}` });
        }
        return;
      }
      // Otherwise report the branch that came closest (fewest issues): usually the intended one.
      const best = branches.reduce((a, b) => (b.length < a.length ? b : a));
      for (const inner of best) collect(inner, here, out);
      return;
    }
  }
  out.push({ path: formatPath(here), message: issue.message });
}

export type SchemaCheck<T> = { ok: true; value: T } | { ok: false; errors: FlowError[] };

/** safeParse that never throws (a schema's refine may) and reports FlowErrors under `prefix`. */
export function checkSchema<T>(schema: z.ZodType<T>, input: unknown, prefix: readonly PathSegment[] = []): SchemaCheck<T> {
  let result: ReturnType<typeof schema.safeParse>;
  try {
    // reportInput: issues keep their input so a union error can still say what it got (inputs never reach messages verbatim).
    result = schema.safeParse(input, { error: friendlyMessage, reportInput: true });
  } catch (e) {
    return { ok: false, errors: [{ path: formatPath(prefix), message: `could not be checked: ${truncate(errorText(e))}` }] };
  }
  if (result.success) return { ok: true, value: result.data };
  const errors: FlowError[] = [];
  for (const issue of result.error.issues) collect(issue, prefix, errors);
  return { ok: false, errors };
}

/** Message of anything thrown, without ever throwing itself. */
export function errorText(e: unknown): string {
  try {
    if (e instanceof Error) return e.message;
    return String(e);
  } catch {
    return "unknown error";
  }
}
