import { HEADER } from "../../sdk.js";
import { durationMs } from "./duration.js";
import { DEFAULT_MAX_WINDOWS, MAX_EVENT_TIME_AHEAD_MS, type WindowConfig } from "./spec.js";

/**
 * Event-time windows of the aggregate processor: which windows a record falls in, which of them
 * are still open, session merging and the bounds as headers. Deterministic and without I/O; the
 * key's window list is the caller's state, changed in place only by the functions that say so.
 * Times are epoch milliseconds.
 */

/** A window config in milliseconds, resolved once when the processor is created. */
export interface WindowPlan {
  type: WindowConfig["type"];
  sizeMs: number;
  /** hopping: distance between window starts; tumbling: the size */
  advanceMs: number;
  gapMs: number;
  graceMs: number;
  maxPerKey: number;
}

export function windowPlan(w: WindowConfig): WindowPlan {
  const ms = (d: string | undefined) => (d === undefined ? 0 : durationMs(d) ?? Number.NaN);
  const sizeMs = ms(w.size);
  const plan: WindowPlan = {
    type: w.type,
    sizeMs,
    advanceMs: w.type === "hopping" ? ms(w.advance) : sizeMs,
    gapMs: ms(w.gap),
    graceMs: ms(w.grace),
    maxPerKey: w.maxPerKey ?? DEFAULT_MAX_WINDOWS,
  };
  const needed = w.type === "session" ? plan.gapMs : Math.min(plan.sizeMs, plan.advanceMs);
  if (!(needed > 0) || Number.isNaN(plan.graceMs)) throw new Error(`invalid ${w.type} window: validate the config with its schema first`);
  return plan;
}

/**
 * ISO-8601 that means one instant wherever the engine runs: a date (UTC midnight) or a date-time
 * with its zone. `Date.parse` reads a date-time without zone, and other formats, in the engine's
 * local time zone, which would put one record in different windows on different engines.
 */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** The last instant a Date holds: window bounds beyond it have no ISO-8601 text. */
const MAX_DATE_MS = 8.64e15;

/** The latest event time taken when the engine's clock reads `now` (epoch ms). */
export function latestEventTime(now: number): number {
  return Math.min(now + MAX_EVENT_TIME_AHEAD_MS, MAX_DATE_MS);
}

/**
 * The event time a timestamp expression gave, in epoch ms, or why it is refused (the record's
 * `failure` reason): not an instant, before 1970, or after `latest` (latestEventTime).
 */
export function eventTimeOf(v: unknown, latest: number): number | string {
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v) || v < 0) return `timestamp must be whole epoch milliseconds ≥ 0, got ${v}`;
    return v <= latest ? v : tooLate(String(v), latest);
  }
  if (typeof v === "string") {
    const shown = v.length > 40 ? `${v.slice(0, 40)}…` : v;
    const t = ISO_INSTANT.test(v) ? Date.parse(v) : Number.NaN;
    if (Number.isNaN(t)) return `timestamp is not an ISO-8601 date or date-time with zone (Z or ±hh:mm): "${shown}"`;
    if (t < 0) return `timestamp is before 1970: "${shown}"`;
    return t <= latest ? t : tooLate(`"${shown}"`, latest);
  }
  return `timestamp must be epoch milliseconds or ISO-8601 text, got ${v === undefined ? "no result" : v === null ? "null" : typeof v}`;
}

function tooLate(shown: string, latest: number): string {
  return `timestamp ${shown} is after ${new Date(latest).toISOString()}, more than ${MAX_EVENT_TIME_AHEAD_MS / 3_600_000} hours after the engine's clock (microseconds or nanoseconds instead of milliseconds?)`;
}

/**
 * The tumbling or hopping windows `t` falls in, as the start of the earliest and their count:
 * window `i` starts at `first + i * advanceMs`, ends (exclusive) `sizeMs` later. No array, since
 * this runs per record.
 */
export function windowsOf(t: number, plan: WindowPlan): { first: number; count: number } {
  const last = t - (t % plan.advanceMs);
  // the earliest start s with s + size > t, on the advance grid
  const first = Math.max(0, Math.floor((t - plan.sizeMs) / plan.advanceMs + 1) * plan.advanceMs);
  return { first, count: (last - first) / plan.advanceMs + 1 };
}

/**
 * Whether a window ending (exclusive) at `end` still takes records: while the stream time (the
 * latest event time seen, this record's included) is before end + grace.
 */
export function isOpen(end: number, streamTime: number, graceMs: number): boolean {
  return streamTime < end + graceMs;
}

/**
 * The index of the first of `t`'s windows still open (`count` when none is: the record is late).
 * Windows of one size close in the order they start, so the closed ones are a prefix.
 */
export function firstOpenWindow(t: number, streamTime: number, plan: WindowPlan): number {
  const { first, count } = windowsOf(t, plan);
  let i = 0;
  while (i < count && !isOpen(first + i * plan.advanceMs + plan.sizeMs, streamTime, plan.graceMs)) i++;
  return i;
}

/** A window of one key and its aggregate state. Sessions: `end` is the last record's time. */
export interface WindowEntry<S> {
  start: number;
  end: number;
  state: S;
}

/**
 * The entry of window [start, end) in `entries` (sorted by start), inserted with `initial()` when
 * absent. Mutates `entries`: it is the key's state, owned by the caller.
 */
export function windowEntry<S>(entries: WindowEntry<S>[], start: number, end: number, initial: () => S): WindowEntry<S> {
  let i = entries.length;
  while (i > 0 && entries[i - 1]!.start > start) i--;
  const before = entries[i - 1];
  if (before && before.start === start) return before;
  const entry = { start, end, state: initial() };
  entries.splice(i, 0, entry);
  return entry;
}

/** A session takes records up to `gapMs` after its last one; it closes once grace has passed too. */
export function isSessionOpen(s: { end: number }, streamTime: number, plan: WindowPlan): boolean {
  return isOpen(s.end + plan.gapMs + 1, streamTime, plan.graceMs);
}

/**
 * The key's sessions a record at `t` joins: indexes `lo` to `hi` (exclusive) of `sessions`
 * (sorted by start), those within `gapMs` of `t` (inclusive); none when `lo === hi`.
 */
export function sessionReach(sessions: readonly WindowEntry<unknown>[], t: number, gapMs: number): { lo: number; hi: number } {
  let lo = 0;
  while (lo < sessions.length && sessions[lo]!.end + gapMs < t) lo++;
  let hi = lo;
  while (hi < sessions.length && sessions[hi]!.start - gapMs <= t) hi++;
  return { lo, hi };
}

/**
 * Puts a record at `t` into the key's sessions (sorted by start, mutated): the sessions within
 * `gapMs` of `t` (inclusive) become one — a record between two sessions bridges them — whose state
 * is theirs merged with `merge` (earlier first), or `initial()` for a new session. Returns that
 * session and the bounds of every session it replaces (merged away, or now with other bounds),
 * whose results the caller deletes downstream. The record itself is not folded in: the caller
 * does that next.
 */
export function placeInSession<S>(
  sessions: WindowEntry<S>[],
  t: number,
  plan: WindowPlan,
  initial: () => S,
  merge: (earlier: S, later: S) => S,
): { session: WindowEntry<S>; replaced: { start: number; end: number }[] } {
  const { lo, hi } = sessionReach(sessions, t, plan.gapMs);
  if (hi === lo) {
    const session = { start: t, end: t, state: initial() };
    sessions.splice(lo, 0, session);
    return { session, replaced: [] };
  }
  const keep = sessions[lo]!;
  const absorbed = sessions.splice(lo + 1, hi - lo - 1);
  const replaced: { start: number; end: number }[] = [];
  const start = Math.min(keep.start, t);
  let end = Math.max(keep.end, t);
  for (const s of absorbed) {
    keep.state = merge(keep.state, s.state);
    end = Math.max(end, s.end);
  }
  if (start !== keep.start || end !== keep.end) replaced.push({ start: keep.start, end: keep.end });
  for (const s of absorbed) replaced.push({ start: s.start, end: s.end });
  keep.start = start;
  keep.end = end;
  return { session: keep, replaced };
}

/**
 * Drops a key's windows that are closed (the stream time is past them) and then the oldest beyond
 * `maxPerKey`. Returns how many were dropped. Mutates `entries` (sorted by start).
 */
export function evictWindows<S>(entries: WindowEntry<S>[], streamTime: number, plan: WindowPlan): number {
  const before = entries.length;
  let w = 0;
  for (let r = 0; r < entries.length; r++) {
    const e = entries[r]!;
    const open = plan.type === "session" ? isSessionOpen(e, streamTime, plan) : isOpen(e.end, streamTime, plan.graceMs);
    if (open) entries[w++] = e;
  }
  entries.length = w;
  if (w > plan.maxPerKey) entries.splice(0, w - plan.maxPerKey);
  return before - entries.length;
}

/** The headers of a windowed result: the input's plus the window's bounds. */
export function windowHeaders(headers: Record<string, string>, start: number, end: number): Record<string, string> {
  return { ...headers, [HEADER.windowStart]: new Date(start).toISOString(), [HEADER.windowEnd]: new Date(end).toISOString() };
}
