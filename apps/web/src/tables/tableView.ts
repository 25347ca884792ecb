/**
 * The node panel's table view without React (pure: unit-tested): what to ask the engine for a
 * search, how a row's value reads (one line or indented), the line under the rows, the "show
 * more" step and which rows changed since the last refresh.
 */
import { oneLineJson, prettyJson } from "../provenance/prettyJson";

/** The engine answers at most this many rows per scan. */
export const MAX_ROWS = 1000;
/** Rows asked for at first, and added by each "show more". */
export const PAGE_ROWS = 50;
/** A compact value longer than this is cut (the pretty layout shows all of it). */
export const COMPACT_CHARS = 160;

export type SearchMode = "prefix" | "key";
export type ValueLayout = "compact" | "pretty";

export interface TableSearch {
  text: string;
  mode: SearchMode;
}

export interface TableRow {
  key: string;
  value: unknown;
}

/** One request: a scan (all rows, or those starting with a prefix) or the lookup of one exact key. */
export type TableRequest = { kind: "scan"; prefix?: string; limit: number } | { kind: "get"; key: string };

/**
 * An empty search browses every row; a key lookup takes the text as typed (keys may have
 * spaces at their ends), a prefix search too.
 */
export function tableRequest(search: TableSearch, limit: number): TableRequest {
  if (search.text === "") return { kind: "scan", limit: clampLimit(limit) };
  if (search.mode === "key") return { kind: "get", key: search.text };
  return { kind: "scan", prefix: search.text, limit: clampLimit(limit) };
}

function clampLimit(limit: number): number {
  return Math.max(1, Math.min(MAX_ROWS, Math.trunc(limit) || PAGE_ROWS));
}

/** The next "show more" limit, or null when the engine would not answer more. */
export function moreLimit(limit: number): number | null {
  return limit >= MAX_ROWS ? null : Math.min(MAX_ROWS, limit + PAGE_ROWS);
}

/** A lookup's answer as rows: `value` null means the key has no row. */
export function rowsOfLookup(answer: { key: string; value: unknown }): TableRow[] {
  return answer.value === null ? [] : [{ key: answer.key, value: answer.value }];
}

/** A row's value: JSON on one line, cut at `max` characters, or indented for reading. */
export function formatValue(value: unknown, layout: ValueLayout, max = COMPACT_CHARS): string {
  if (layout === "pretty") return prettyJson(value);
  const one = oneLineJson(value);
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}

/** The line under the rows: how many are shown, and whether the table holds more that match. */
export function rowsLine(shown: number, truncated: boolean, search: TableSearch): string {
  const matching = search.text === "" ? "" : search.mode === "key" ? ` with key “${search.text}”` : ` starting with “${search.text}”`;
  if (shown === 0) return search.text === "" ? "The table is empty: no record has reached it yet." : `No row${matching}`;
  if (truncated) return `showing ${shown} of more${matching}`;
  return `${shown} row${shown === 1 ? "" : "s"}${matching}`;
}

/**
 * Keys whose value differs from the previous answer's (new rows count as changed), so a live
 * update can be marked; nothing is marked on the first answer.
 */
export function changedKeys(previous: readonly TableRow[] | undefined, next: readonly TableRow[]): Set<string> {
  const changed = new Set<string>();
  if (!previous) return changed;
  const before = new Map(previous.map((r) => [r.key, JSON.stringify(r.value)]));
  for (const r of next) if (before.get(r.key) !== JSON.stringify(r.value)) changed.add(r.key);
  return changed;
}
