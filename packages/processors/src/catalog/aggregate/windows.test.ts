import { describe, expect, it } from "vitest";
import { HEADER } from "../../sdk.js";
import { configSchema, MAX_EVENT_TIME_AHEAD_MS } from "./spec.js";
import { eventTimeOf, evictWindows, firstOpenWindow, isOpen, isSessionOpen, placeInSession, sessionReach, windowEntry, windowHeaders, windowPlan, windowsOf, latestEventTime, type WindowEntry, type WindowPlan } from "./windows.js";

/** the engine's clock in the event-time tests: 2026-12-07T05:00:00Z */
const NOW = Date.UTC(2026, 11, 7, 5);
const plan = (window: unknown): WindowPlan => windowPlan(configSchema.parse({ op: "count", window }).window!);
const starts = (t: number, p: WindowPlan) => {
  const { first, count } = windowsOf(t, p);
  return Array.from({ length: count }, (_, i) => first + i * p.advanceMs);
};

describe("window assignment", () => {
  it("tumbling: the one window [start, start + size) aligned to the epoch, end exclusive", () => {
    const p = plan({ type: "tumbling", size: "10s" });
    expect(starts(0, p)).toEqual([0]);
    expect(starts(9_999, p)).toEqual([0]);
    expect(starts(10_000, p)).toEqual([10_000]);
    expect(starts(1_733_460_012_345, p)).toEqual([1_733_460_010_000]);
  });

  it("hopping: every window covering t, overlapping, in start order", () => {
    const p = plan({ type: "hopping", size: "10s", advance: "5s" });
    expect(starts(12_000, p)).toEqual([5_000, 10_000]);
    expect(starts(10_000, p)).toEqual([5_000, 10_000]); // on a boundary: not [0, 10s) any more
    expect(starts(9_999, p)).toEqual([0, 5_000]);
    expect(starts(3_000, p)).toEqual([0]); // no window starts before the epoch
    const thirds = plan({ type: "hopping", size: "3s", advance: "1s" });
    expect(starts(10_500, thirds)).toEqual([8_000, 9_000, 10_000]);
    const uneven = plan({ type: "hopping", size: "10s", advance: "3s" });
    expect(starts(20_000, uneven)).toEqual([12_000, 15_000, 18_000]);
    for (const s of starts(20_000, uneven)) expect(s <= 20_000 && 20_000 < s + 10_000).toBe(true);
  });

  it("a plan refuses a window its schema would refuse", () => {
    expect(() => windowPlan({ type: "tumbling", maxPerKey: 1 })).toThrow(/invalid tumbling window/);
    expect(() => windowPlan({ type: "session", gap: "soon", maxPerKey: 1 })).toThrow(/invalid session window/);
  });

  it("event times: epoch ms or ISO-8601, anything else a reason", () => {
    const latest = latestEventTime(NOW);
    expect(eventTimeOf(1_000, latest)).toBe(1_000);
    expect(eventTimeOf("2026-12-06T05:00:00.000Z", latest)).toBe(Date.UTC(2026, 11, 6, 5));
    expect(eventTimeOf(1.5, latest)).toMatch(/whole epoch milliseconds/);
    expect(eventTimeOf(-1, latest)).toMatch(/≥ 0/);
    expect(eventTimeOf("2026-12-06T06:00:00.000+01:00", latest)).toBe(Date.UTC(2026, 11, 6, 5));
    expect(eventTimeOf("2026-12-06", latest)).toBe(Date.UTC(2026, 11, 6));
    expect(eventTimeOf("yesterday", latest)).toMatch(/not an ISO-8601 date or date-time with zone .*: "yesterday"/);
    // read in the engine's local zone by Date.parse: one record would land in other windows elsewhere
    expect(eventTimeOf("2026-12-06T05:00:00", latest)).toMatch(/with zone/);
    expect(eventTimeOf("Dec 6 2026", latest)).toMatch(/with zone/);
    expect(eventTimeOf("2026-13-45", latest)).toMatch(/with zone/);
    expect(eventTimeOf(undefined, latest)).toMatch(/got no result/);
    expect(eventTimeOf(null, latest)).toMatch(/got null/);
    expect(eventTimeOf({}, latest)).toMatch(/got object/);
  });

  it("event times: refuses one more than a day after the engine's clock, which would move the stream time for good", () => {
    const latest = latestEventTime(NOW);
    expect(MAX_EVENT_TIME_AHEAD_MS).toBe(24 * 3_600_000);
    expect(latest).toBe(NOW + MAX_EVENT_TIME_AHEAD_MS);
    expect(eventTimeOf(NOW + MAX_EVENT_TIME_AHEAD_MS, latest)).toBe(NOW + MAX_EVENT_TIME_AHEAD_MS);
    expect(eventTimeOf(NOW + MAX_EVENT_TIME_AHEAD_MS + 1, latest)).toMatch(/is after 2026-12-08T05:00:00.000Z, more than 24 hours after the engine's clock/);
    expect(eventTimeOf("2150-01-01T00:00:00Z", latest)).toMatch(/^timestamp "2150-01-01T00:00:00Z" is after 2026-12-08T05:00:00.000Z/);
    // microseconds taken for milliseconds: year 58900
    expect(eventTimeOf(NOW * 1000, latest)).toMatch(/microseconds or nanoseconds instead of milliseconds/);
    // past what a Date holds (toISOString would throw), even with a clock that far ahead
    expect(latestEventTime(8.64e15)).toBe(8.64e15);
    expect(eventTimeOf(8.64e15 + 1, latestEventTime(8.64e15))).toMatch(/is after \+275760-09-13T00:00:00.000Z/);
    expect(eventTimeOf(Number.MAX_SAFE_INTEGER, latest)).toMatch(/is after/);
  });
});

describe("lateness", () => {
  it("a window is open while stream time < end + grace: exactly at the edge it is closed", () => {
    expect(isOpen(10_000, 10_999, 1_000)).toBe(true);
    expect(isOpen(10_000, 11_000, 1_000)).toBe(false);
    expect(isOpen(10_000, 9_999, 0)).toBe(true);
    expect(isOpen(10_000, 10_000, 0)).toBe(false);
  });

  it("tumbling with grace: a record inside grace is taken, one at the edge is late", () => {
    const p = plan({ type: "tumbling", size: "10s", grace: "2s" });
    expect(firstOpenWindow(9_000, 11_999, p)).toBe(0);
    expect(firstOpenWindow(9_000, 12_000, p)).toBe(1); // count 1: late
    expect(firstOpenWindow(12_000, 12_000, p)).toBe(0); // the record that moved stream time is on time
  });

  it("hopping: closed windows are a prefix; late only when all are closed", () => {
    const p = plan({ type: "hopping", size: "10s", advance: "5s" });
    expect(firstOpenWindow(12_000, 14_000, p)).toBe(0);
    expect(firstOpenWindow(12_000, 15_000, p)).toBe(1); // [5s, 15s) closed, [10s, 20s) open
    expect(firstOpenWindow(12_000, 20_000, p)).toBe(2); // both closed: late
  });
});

describe("sessions", () => {
  const p = plan({ type: "session", gap: "5s", grace: "1s" });
  const init = () => 0;
  const add = (a: number, b: number) => a + b;
  /** Places and folds one record (a count): what the processor does per record. */
  const put = (sessions: WindowEntry<number>[], t: number) => {
    const placed = placeInSession(sessions, t, p, init, add);
    placed.session.state += 1;
    return placed;
  };
  const view = (s: WindowEntry<number>[]) => s.map((x) => [x.start, x.end, x.state]);

  it("records within gap (inclusive) extend a session; further ones start another", () => {
    const s: WindowEntry<number>[] = [];
    expect(put(s, 1_000).replaced).toEqual([]);
    expect(put(s, 6_000).replaced).toEqual([{ start: 1_000, end: 1_000 }]); // exactly gap after: same session
    expect(put(s, 3_000).replaced).toEqual([]); // inside: bounds unchanged
    put(s, 11_001);
    expect(view(s)).toEqual([[1_000, 6_000, 3], [11_001, 11_001, 1]]);
  });

  it("a record between two sessions bridges them: one session, states merged, both old ones replaced", () => {
    const s: WindowEntry<number>[] = [];
    put(s, 1_000);
    put(s, 2_000);
    put(s, 20_000);
    put(s, 40_000);
    const { session, replaced } = put(s, 11_000); // 9 s from both neighbours: a session of its own
    expect(replaced).toEqual([]);
    expect(view(s)).toEqual([[1_000, 2_000, 2], [11_000, 11_000, 1], [20_000, 20_000, 1], [40_000, 40_000, 1]]);
    expect(session.start).toBe(11_000);
    const bridge = put(s, 6_500); // 4.5s after 2s, 4.5s before 11s
    expect(bridge.replaced).toEqual([{ start: 1_000, end: 2_000 }, { start: 11_000, end: 11_000 }]);
    expect(view(s)).toEqual([[1_000, 11_000, 4], [20_000, 20_000, 1], [40_000, 40_000, 1]]);
    const earlier = put(s, 15_500); // bridges [1s, 11s] and [20s]
    expect(earlier.replaced).toEqual([{ start: 1_000, end: 11_000 }, { start: 20_000, end: 20_000 }]);
    expect(view(s)).toEqual([[1_000, 20_000, 6], [40_000, 40_000, 1]]);
  });

  it("the sessions a record reaches, without changing them", () => {
    const s: WindowEntry<number>[] = [{ start: 1_000, end: 2_000, state: 2 }, { start: 11_000, end: 11_000, state: 1 }, { start: 30_000, end: 30_000, state: 1 }];
    expect(sessionReach(s, 6_500, 5_000)).toEqual({ lo: 0, hi: 2 });
    expect(sessionReach(s, 20_000, 5_000)).toEqual({ lo: 2, hi: 2 });
    expect(sessionReach(s, 0, 5_000)).toEqual({ lo: 0, hi: 1 });
    expect(s).toHaveLength(3);
  });

  it("a session closes once stream time passes last record + gap + grace", () => {
    expect(isSessionOpen({ end: 10_000 }, 16_000, p)).toBe(true); // 10s + 5s gap + 1s grace: the last instant
    expect(isSessionOpen({ end: 10_000 }, 16_001, p)).toBe(false);
  });
});

describe("window state per key", () => {
  it("finds or inserts a window in start order", () => {
    const entries: WindowEntry<number>[] = [];
    windowEntry(entries, 10, 20, () => 0).state = 5;
    windowEntry(entries, 0, 10, () => 0);
    windowEntry(entries, 20, 30, () => 0);
    expect(windowEntry(entries, 10, 20, () => 99).state).toBe(5);
    expect(entries.map((e) => e.start)).toEqual([0, 10, 20]);
  });

  it("evicts closed windows, then the oldest beyond maxPerKey", () => {
    const p = plan({ type: "tumbling", size: "10s", grace: "0s", maxPerKey: 2 });
    const entries: WindowEntry<number>[] = [0, 10_000, 20_000, 30_000].map((start) => ({ start, end: start + 10_000, state: 1 }));
    expect(evictWindows(entries, 15_000, p)).toBe(2); // [0,10s) closed, then 3 left > 2: the oldest goes
    expect(entries.map((e) => e.start)).toEqual([20_000, 30_000]);
    const sp = plan({ type: "session", gap: "5s" });
    const sessions: WindowEntry<number>[] = [{ start: 0, end: 1_000, state: 1 }, { start: 9_000, end: 9_000, state: 1 }];
    expect(evictWindows(sessions, 6_001, sp)).toBe(1);
    expect(sessions.map((e) => e.start)).toEqual([9_000]);
  });
});

describe("window headers", () => {
  it("adds the bounds as ISO-8601 UTC, keeping the record's headers and leaving them unchanged", () => {
    const headers = { a: "1" };
    const h = windowHeaders(headers, 0, 10_000);
    expect(h).toEqual({ a: "1", "mr.window.start": "1970-01-01T00:00:00.000Z", "mr.window.end": "1970-01-01T00:00:10.000Z" });
    expect(headers).toEqual({ a: "1" });
    expect([HEADER.windowStart, HEADER.windowEnd]).toEqual(["mr.window.start", "mr.window.end"]);
  });
});
