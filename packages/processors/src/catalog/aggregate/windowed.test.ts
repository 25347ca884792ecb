import { describe, expect, it } from "vitest";
import { HEADER, TABLE_KEY, type KeyValueState, type MRecord } from "../../sdk.js";
import { impl } from "./impl.js";

/** A table as the runner gives it, counting reads and writes per key. */
function memoryState() {
  const rows = new Map<string, unknown>();
  const reads = new Map<string, number>();
  const writes: string[] = [];
  const state: KeyValueState = {
    get: (k) => {
      reads.set(k, (reads.get(k) ?? 0) + 1);
      return rows.get(k);
    },
    put: (k, v) => {
      writes.push(k);
      rows.set(k, v);
    },
    delete: (k) => {
      writes.push(k);
      rows.delete(k);
    },
  };
  return { state, rows, reads, writes };
}

type Emitted = { port: string; record: MRecord; parent: number };

async function processor(config: object) {
  const p = await impl.create(config as never, { flowId: "f", nodeId: "agg", signal: new AbortController().signal, log: () => {} });
  return async (records: MRecord[], table = memoryState()) => {
    const emitted: Emitted[] = [];
    await (p as { process: (r: MRecord[], o: unknown, s: KeyValueState) => Promise<void> }).process(records, { emit: (port: string, record: MRecord, parent: number) => emitted.push({ port, record, parent }) }, table.state);
    return emitted;
  };
}

const S = 1_000;
const M = 60 * S;
/** 2026-12-06T05:00:00Z: a minute boundary */
const T0 = Date.UTC(2026, 11, 6, 5);
const at = (key: string, timestamp: number, value: unknown = {}): MRecord => ({ key, value, headers: { [HEADER.id]: `r${timestamp}` }, timestamp });
const iso = (t: number) => new Date(t).toISOString();
/** what a result says: port, key, value, window start/end as offsets from T0 in seconds */
const view = (e: Emitted[]) =>
  e.map(({ port, record: r }) => (port === "success" ? [port, r.key, r.value, (Date.parse(r.headers[HEADER.windowStart]!) - T0) / S, (Date.parse(r.headers[HEADER.windowEnd]!) - T0) / S] : [port, r.key]));

describe("windowed aggregate", () => {
  it("tumbling: counts per key and window, keyed by the group, the window in headers, the event time as timestamp", async () => {
    const run = await processor({ op: "count", window: { type: "tumbling", size: "1m" } });
    const table = memoryState();
    const out = await run([at("a", T0 + 1 * S), at("b", T0 + 2 * S), at("a", T0 + 59 * S), at("a", T0 + 61 * S)], table);
    expect(view(out)).toEqual([
      ["success", "a", 1, 0, 60],
      ["success", "b", 1, 0, 60],
      ["success", "a", 2, 0, 60],
      ["success", "a", 1, 60, 120],
    ]);
    expect(out[0]!.record.headers[HEADER.windowStart]).toBe(iso(T0));
    expect(out[3]!.record.timestamp).toBe(T0 + 61 * S);
    expect(out.map((e) => e.parent)).toEqual([0, 1, 2, 3]);
    // grace 0: at stream time 61 s (the batch's end) the first minute is closed and left the rows, b's with it
    expect(table.rows.get("a")).toEqual([{ start: T0 + M, end: T0 + 2 * M, state: 1 }]);
    expect(table.rows.has("b")).toBe(false);
    expect(table.rows.get(TABLE_KEY.streamTime)).toBe(T0 + 61 * S);
  });

  it("hopping: a record counts in every window covering it; sums read value", async () => {
    const run = await processor({ op: "sum", value: "value.n", window: { type: "hopping", size: "10s", advance: "5s", grace: "1m" } });
    const table = memoryState();
    const out = await run([at("a", T0 + 7 * S, { n: 2 }), at("a", T0 + 12 * S, { n: 3 })], table);
    expect(view(out)).toEqual([
      ["success", "a", 2, 0, 10],
      ["success", "a", 2, 5, 15],
      ["success", "a", 5, 5, 15],
      ["success", "a", 3, 10, 20],
    ]);
    expect((table.rows.get("a") as { start: number }[]).map((w) => (w.start - T0) / S)).toEqual([0, 5, 10]);
  });

  it("grace: a record for a window within grace is taken, beyond it goes to late unchanged, and stream time never goes back", async () => {
    const run = await processor({ op: "count", window: { type: "tumbling", size: "1m", grace: "10s" } });
    const table = memoryState();
    await run([at("a", T0 + 30 * S), at("a", T0 + 65 * S)], table);
    const inGrace = at("a", T0 + 50 * S);
    const tooLate = at("a", T0 + 40 * S);
    const out = await run([inGrace, at("b", T0 + 70 * S), tooLate, at("a", T0 + 20 * S)], table);
    expect(view(out)).toEqual([["success", "a", 2, 0, 60], ["success", "b", 1, 60, 120], ["late", "a"], ["late", "a"]]);
    expect(out[2]!.record).toBe(tooLate);
    expect(table.rows.get(TABLE_KEY.streamTime)).toBe(T0 + 70 * S);
    // an older record does not move it back
    await run([at("c", T0 + 69 * S)], table);
    expect(table.rows.get(TABLE_KEY.streamTime)).toBe(T0 + 70 * S);
  });

  it("stream time is restored from the table: a new processor (a restarted engine) keeps a late record late", async () => {
    const config = { op: "count", window: { type: "tumbling", size: "1m", grace: "10s" } };
    const table = memoryState();
    await (await processor(config))([at("a", T0 + 5 * S), at("b", T0 + 75 * S)], table);
    const restarted = await processor(config);
    expect(view(await restarted([at("a", T0 + 6 * S)], table))).toEqual([["late", "a"]]);
    expect(view(await restarted([at("a", T0 + 90 * S)], table))).toEqual([["success", "a", 1, 60, 120]]);
  });

  it("sessions: extending one deletes its old bounds downstream first; a record bridging two merges them", async () => {
    const run = await processor({ op: "collect", value: "value.n", window: { type: "session", gap: "5s", grace: "1m" } });
    const table = memoryState();
    const first = await run([at("a", T0, { n: 1 }), at("a", T0 + 3 * S, { n: 2 }), at("a", T0 + 16 * S, { n: 3 })], table);
    expect(view(first)).toEqual([
      ["success", "a", [1], 0, 0],
      ["success", "a", null, 0, 0],
      ["success", "a", [1, 2], 0, 3],
      ["success", "a", [3], 16, 16],
    ]);
    const bridge = await run([at("a", T0 + 7 * S, { n: 4 }), at("a", T0 + 12 * S, { n: 5 })], table);
    expect(view(bridge)).toEqual([
      ["success", "a", null, 0, 3],
      ["success", "a", [1, 2, 4], 0, 7],
      // 12 s is within 5 s of both [0 s, 7 s] and [16 s]: one session
      ["success", "a", null, 0, 7],
      ["success", "a", null, 16, 16],
      // merged in order (earlier session first), then the record
      ["success", "a", [1, 2, 4, 3, 5], 0, 16],
    ]);
    expect(table.rows.get("a")).toEqual([{ start: T0, end: T0 + 16 * S, state: [1, 2, 4, 3, 5] }]);
  });

  it("sessions: a record whose session would be closed is late", async () => {
    const run = await processor({ op: "count", window: { type: "session", gap: "5s" } });
    const table = memoryState();
    await run([at("a", T0), at("b", T0 + 30 * S)], table);
    expect(view(await run([at("a", T0 + 4 * S), at("c", T0 + 26 * S)], table))).toEqual([["late", "a"], ["success", "c", 1, 26, 26]]);
  });

  it("evicts closed windows when their key gets records, and keeps at most maxPerKey", async () => {
    const run = await processor({ op: "count", window: { type: "tumbling", size: "10s", grace: "1h", maxPerKey: 2 } });
    const table = memoryState();
    await run([0, 10, 20, 30].map((s) => at("a", T0 + s * S)), table);
    expect((table.rows.get("a") as { start: number }[]).map((w) => (w.start - T0) / S)).toEqual([20, 30]);
    const closing = await processor({ op: "count", window: { type: "tumbling", size: "10s" } });
    const t2 = memoryState();
    await closing([at("a", T0), at("b", T0 + 5 * S)], t2);
    await closing([at("a", T0 + 3 * 60 * S)], t2);
    expect(t2.rows.get("a")).toEqual([{ start: T0 + 180 * S, end: T0 + 190 * S, state: 1 }]);
    // a key whose windows all closed loses its row at its next record, a late one too
    expect(t2.rows.has("b")).toBe(true);
    expect(view(await closing([at("b", T0 + 2 * S)], t2))).toEqual([["late", "b"]]);
    expect(t2.rows.has("b")).toBe(false);
  });

  it("refuses bad event times, naming why; values the op cannot take fail without touching the windows", async () => {
    const run = await processor({ op: "sum", value: "value.n", timestamp: "value.at", window: { type: "tumbling", size: "1m", grace: "1h" } });
    const table = memoryState();
    const out = await run(
      [
        at("a", 0, { at: iso(T0 + S), n: 1 }),
        at("a", 0, { at: "yesterday", n: 1 }),
        at("a", 0, { n: 1 }),
        at("a", 0, { at: T0 + 2 * S, n: "x" }),
        at("a", 0, { at: -5, n: 1 }),
        at("a", 0, { at: T0 + 3 * S, n: 2 }),
      ],
      table,
    );
    const reasons = out.filter((e) => e.port === "failure").map((e) => e.record.headers[HEADER.error]);
    expect(reasons).toEqual([
      expect.stringMatching(/timestamp is not an ISO-8601 date.*"yesterday"/),
      expect.stringMatching(/got no result/),
      expect.stringMatching(/timestamp must be whole epoch milliseconds ≥ 0, got -5/),
      expect.stringMatching(/sum needs a number, got a string/),
    ]);
    expect(out.filter((e) => e.port === "success").map((e) => e.record.value)).toEqual([1, 3]);
    expect(table.rows.get("a")).toEqual([{ start: T0, end: T0 + M, state: 3 }]);
    // without a timestamp expression the Kafka timestamp is needed
    const byKafka = await processor({ op: "count", window: { type: "tumbling", size: "1m" } });
    const [noTime] = await byKafka([{ key: "a", value: 1, headers: {} }]);
    expect(noTime!.port).toBe("failure");
    expect(noTime!.record.headers[HEADER.error]).toMatch(/no Kafka timestamp: give the aggregate a timestamp expression/);
  });

  it("refuses an event time more than a day after the clock: it goes to failure and moves no stream time", async () => {
    const run = await processor({ op: "count", timestamp: "value.at", window: { type: "tumbling", size: "1m" } });
    // the bound is measured from the engine's clock: times around now, with a minute to spare
    const now = Date.now();
    const minute = now - (now % M);
    const day = 24 * 60 * M;
    const table = memoryState();
    const out = await run(
      [
        at("a", 0, { at: minute + S }),
        at("a", 0, { at: "2150-01-01T00:00:00Z" }),
        at("a", 0, { at: now * 1000 }),
        at("a", 0, { at: 8.64e15 + 1 }),
        at("a", 0, { at: now + day + M }),
        // within the bound: taken, and it moves the stream time
        at("b", 0, { at: now + day - M }),
      ],
      table,
    );
    const ports = (e: Emitted[]) => e.map((x) => [x.parent, x.port]).sort(([a], [b]) => Number(a) - Number(b));
    expect(ports(out)).toEqual([[0, "success"], [1, "failure"], [2, "failure"], [3, "failure"], [4, "failure"], [5, "success"]]);
    for (const e of out.filter((x) => x.port === "failure")) expect(e.record.headers[HEADER.error]).toMatch(/is after .*more than 24 hours after the engine's clock/);
    expect(table.rows.get(TABLE_KEY.streamTime)).toBe(now + day - M);

    // a refused record leaves the windows open: the next batch's record of this minute still counts
    const fresh = memoryState();
    expect((await run([at("a", 0, { at: "2150-01-01T00:00:00Z" })], fresh)).map((e) => e.port)).toEqual(["failure"]);
    expect(fresh.rows.has(TABLE_KEY.streamTime)).toBe(false);
    const [counted] = await run([at("a", 0, { at: minute + 2 * S })], fresh);
    expect(counted).toMatchObject({ port: "success", record: { value: 1, headers: { [HEADER.windowStart]: iso(minute) } } });
    // the Kafka timestamp is held to the same bound
    const byKafka = await processor({ op: "count", window: { type: "tumbling", size: "1m" } });
    expect((await byKafka([at("a", Date.UTC(2150, 0, 1))]))[0]!.port).toBe("failure");
  });

  it("a custom reducer per window (tumbling, hopping)", async () => {
    const run = await processor({ initial: '{ "n": 0, "total": 0 }', reduce: '{ "n": state.n + 1, "total": state.total + value.amount }', window: { type: "hopping", size: "10s", advance: "5s", grace: "1m" } });
    const table = memoryState();
    const out = await run([at("a", T0 + 7 * S, { amount: 2 }), at("b", T0 + 1 * S, { amount: 1 }), at("a", T0 + 8 * S, { amount: 3 })], table);
    expect(view(out)).toEqual([
      ["success", "a", { n: 1, total: 2 }, 0, 10],
      ["success", "a", { n: 1, total: 2 }, 5, 15],
      ["success", "b", { n: 1, total: 1 }, -5, 5],
      ["success", "b", { n: 1, total: 1 }, 0, 10],
      ["success", "a", { n: 2, total: 5 }, 0, 10],
      ["success", "a", { n: 2, total: 5 }, 5, 15],
    ]);
    const next = await run([at("a", T0 + 9 * S, { amount: 10 })], table);
    expect(next.map((e) => e.record.value)).toEqual([{ n: 3, total: 15 }, { n: 3, total: 15 }]);
    expect(table.rows.get("a")).toEqual([
      { start: T0, end: T0 + 10 * S, state: { n: 3, total: 15 } },
      { start: T0 + 5 * S, end: T0 + 15 * S, state: { n: 3, total: 15 } },
    ]);
  });

  it("reads each key and the stream time once per batch, writes at the end, and refuses the reserved key as a group", async () => {
    const run = await processor({ op: "count", window: { type: "tumbling", size: "1m" } });
    const table = memoryState();
    const out = await run([at("a", T0), at("b", T0 + S), at("a", T0 + 2 * S), at("a", T0 + 3 * S), at(TABLE_KEY.streamTime, T0 + 4 * S)], table);
    expect(Object.fromEntries(table.reads)).toEqual({ [TABLE_KEY.streamTime]: 1, a: 1, b: 1 });
    expect(table.writes).toEqual(["a", "b", TABLE_KEY.streamTime]);
    expect(out.filter((e) => e.port === "failure").map((e) => [e.parent, e.record.headers[HEADER.error]])).toEqual([[4, expect.stringMatching(/reserved/)]]);
    expect(table.rows.get(TABLE_KEY.streamTime)).toBe(T0 + 3 * S);
  });
});
