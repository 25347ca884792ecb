/**
 * Arrays of plain strings (topic names, group ids, patterns) are edited as a list of one-line
 * entries rather than as numbered item cards: the list's edits, pure and unit-tested.
 */
import type { Field } from "./schemaForm";

export type StringListField = Extract<Field, { kind: "array" }> & { item: Extract<Field, { kind: "string" }> };

/** An array whose items are one-line strings (no code, expression or password items). */
export function isStringList(field: Field): field is StringListField {
  return field.kind === "array" && field.item.kind === "string" && (field.item.widget === "text" || field.item.widget === "textarea");
}

/** A slash-delimited pattern (which may hold commas) or a run of text up to a comma or line break. */
const ENTRY = /\/(?:[^/\\\n]|\\.)*\/|[^,\n]+/g;

/**
 * A pasted list ("orders, refunds" or one per line) as entries; a /regular expression/ stays
 * whole even when it holds a comma ("/a{1,3}/"). Blank entries are dropped.
 */
export function splitListText(text: string): string[] {
  return (text.match(ENTRY) ?? []).map((e) => e.trim()).filter((e) => e !== "");
}

/** Pasting several entries into one: they replace it and follow it in order. */
export function pasteEntries(items: readonly string[], at: number, entries: readonly string[]): string[] {
  return [...items.slice(0, at), ...entries, ...items.slice(at + 1)];
}

/**
 * Without entry `i`. An optional list emptied this way is left out of the config (its default
 * applies, e.g. "every group"), which an empty list would not mean.
 */
export function removeEntry(items: readonly string[], i: number, required: boolean): string[] | undefined {
  const next = items.filter((_, j) => j !== i);
  return next.length === 0 && !required ? undefined : next;
}

/** A new empty entry after entry `i` (Enter in an entry). */
export function insertEntryAfter(items: readonly string[], i: number): string[] {
  return [...items.slice(0, i + 1), "", ...items.slice(i + 1)];
}
