/**
 * The Schemas page's text handling without React: reading what is typed into the new-version
 * box, showing a stored schema, the compatibility levels in words, and the subject search.
 */

export type ParsedSchema = { ok: true; value: unknown } | { ok: false; error: string };

/** What is typed, parsed; an error says what is wrong and where (line and column) before anything is sent. */
export function parseSchemaText(text: string): ParsedSchema {
  if (!text.trim()) return { ok: false, error: "Paste or type an Avro schema (JSON) first" };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // engines word this differently; where one gives an offset, a line and column are easier to find
    const at = /position (\d+)/.exec(message);
    const where = at && !/line \d+/.test(message) ? ` at ${lineAndColumn(text, Number(at[1]))}` : "";
    return { ok: false, error: `Not valid JSON${where}: ${message}` };
  }
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `line ${line}, column ${column}`;
}

/** A schema as stored, indented for reading; text that is not JSON is shown as it is. */
export function prettySchema(text: string): string {
  const parsed = parseSchemaText(text);
  return parsed.ok ? JSON.stringify(parsed.value, null, 2) : text;
}

/** The parsed schema of a stored version, or undefined when it does not parse (the diff then has nothing to compare). */
export function parsedOrUndefined(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  const parsed = parseSchemaText(text);
  return parsed.ok ? parsed.value : undefined;
}

export const COMPATIBILITY_LEVELS = ["BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

/** What each level lets a new version do, for the level select's tooltip. */
export const COMPATIBILITY_MEANING: Record<CompatibilityLevel, string> = {
  BACKWARD: "Readers with the new version can read data written with the latest one (add optional fields, remove fields)",
  BACKWARD_TRANSITIVE: "Readers with the new version can read data written with every earlier one",
  FORWARD: "Readers with the latest version can read data written with the new one (add fields, remove optional ones)",
  FORWARD_TRANSITIVE: "Readers with every earlier version can read data written with the new one",
  FULL: "Both backward and forward against the latest version (add or remove optional fields only)",
  FULL_TRANSITIVE: "Both backward and forward against every earlier version",
  NONE: "No check: any schema is accepted",
};

export function isCompatibilityLevel(value: string): value is CompatibilityLevel {
  return (COMPATIBILITY_LEVELS as readonly string[]).includes(value);
}

/** Subjects whose name contains every word typed (any case), in name order. */
export function filterSubjects<T extends { subject: string }>(subjects: readonly T[], query: string): T[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return subjects.filter((s) => words.every((w) => s.subject.toLowerCase().includes(w))).sort((a, b) => byName(a.subject, b.subject));
}

function byName(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0;
}

/** The engine's registry takes subject names up to this long. */
export const MAX_SUBJECT_LENGTH = 255;

/** Confluent's naming rules are loose; these are the ones the registry refuses before storing anything. */
export function subjectNameError(name: string): string | undefined {
  if (!name.trim()) return "Name the subject (e.g. orders-value for the values of topic orders)";
  if (name.length > MAX_SUBJECT_LENGTH) return `A subject name has at most ${MAX_SUBJECT_LENGTH} characters (this one ${name.length})`;
  if (name !== name.trim()) return "A subject name has no spaces at its ends";
  if ([...name].some((c) => c.charCodeAt(0) < 0x20)) return "A subject name has no control characters";
  return undefined;
}
