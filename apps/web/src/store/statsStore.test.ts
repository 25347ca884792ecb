import { beforeEach, describe, expect, it } from "vitest";
import type { LiveStats, NodeStats } from "../api/types";
import { appendSample, isRecentError, RECENT_ERROR_MS, SPARK_SAMPLES, STALE_MS, statsActions, useStatsStore } from "./statsStore";
import { sparkPoints } from "../components/figures";

// fixtures carry only the figures the store reads
const node = (p: Partial<NodeStats> = {}) => ({ in: 0, out: 0, errors: 0, rate1s: 0, ...p }) as NodeStats;
const tick = (nodes: Record<string, NodeStats>, at = 1) => ({ at, nodes, edges: {} }) as unknown as LiveStats;
const st = () => useStatsStore.getState();

describe("live-stats store", () => {
  beforeEach(() => statsActions.clear());

  it("a stopped flow keeps its nodes' totals as the last run until it runs again or another flow shows", () => {
    statsActions.start(0);
    statsActions.push("f", tick({ a: node({ in: 2000, out: 1990, errors: 3, rate1s: 7 }) }), 1000);
    statsActions.endRun();
    expect(st().lastRun).toBe(true);
    expect(st().nodes.a).toMatchObject({ in: 2000, out: 1990, errors: 3 });
    expect(st().edges).toEqual({});
    expect(st().series).toEqual({});
    // the same flow shown again keeps them; another flow does not
    statsActions.forFlow("f");
    expect(st().nodes.a?.in).toBe(2000);
    statsActions.forFlow("g");
    expect(st().nodes).toEqual({});
    expect(st().lastRun).toBe(false);
    // a new run starts from nothing, live
    statsActions.push("f", tick({ a: node({ in: 2000 }) }), 2000);
    statsActions.endRun();
    statsActions.start(3000);
    expect(st().lastRun).toBe(false);
    expect(st().nodes).toEqual({});
    // a run that never reported leaves nothing to show
    statsActions.endRun();
    expect(st().lastRun).toBe(false);
  });

  it("a stopped flow opened after a reload shows its last deployment's totals as the last run; a running or never deployed one does not", () => {
    const stopped = { ...tick({ a: node({ in: 500, out: 490, errors: 1 }) }), status: "stopped" } as LiveStats;
    statsActions.showLastRun("f", { ...stopped, status: "running" } as LiveStats);
    expect(st().nodes).toEqual({});
    statsActions.showLastRun("f", { ...stopped, status: "not-deployed", nodes: {} } as LiveStats);
    expect(st().lastRun).toBe(false);
    statsActions.showLastRun("f", stopped);
    expect(st().lastRun).toBe(true);
    expect(st().flowId).toBe("f");
    expect(st().nodes.a).toMatchObject({ in: 500, out: 490, errors: 1 });
    // a run that ended in this page keeps its own figures
    statsActions.clear();
    statsActions.start(0);
    statsActions.push("f", tick({ a: node({ in: 7 }) }), 1000);
    statsActions.endRun();
    statsActions.showLastRun("f", stopped);
    expect(st().nodes.a?.in).toBe(7);
  });

  it("keeps a bounded series of records/s per node, one sample a tick", () => {
    let s = appendSample(undefined, 3);
    expect(s).toEqual([3]);
    for (let i = 0; i < 100; i++) s = appendSample(s, i);
    expect(s.length).toBe(SPARK_SAMPLES);
    expect(s[s.length - 1]).toBe(99);
    expect(s[0]).toBe(100 - SPARK_SAMPLES);
    // negative / NaN read as 0
    expect(appendSample([1], Number.NaN)).toEqual([1, 0]);
    // a full flat series that stays flat is the same object (no re-render)
    const flat = Array<number>(SPARK_SAMPLES).fill(0);
    expect(appendSample(flat, 0)).toBe(flat);
  });

  it("appends on each tick, derives the out rate, and keeps unchanged entries' objects", () => {
    statsActions.push("f", tick({ a: node({ in: 10, out: 10, rate1s: 10 }), idle: node() }), 1000);
    expect(st().nodes.a!.rateOut).toBeUndefined();
    statsActions.push("f", tick({ a: node({ in: 30, out: 25, rate1s: 20 }), idle: node() }), 2000);
    expect(st().series.a).toEqual([10, 20]);
    expect(st().nodes.a!.rateOut).toBe(15);
    const idle = st().nodes.idle;
    statsActions.push("f", tick({ a: node({ in: 40, out: 30, rate1s: 10 }), idle: node() }), 3000);
    // the idle node did not change: same object, its figures do not re-render
    expect(st().nodes.idle).toBe(idle);
    // another flow starts afresh
    statsActions.push("g", tick({ a: node({ rate1s: 5 }) }), 4000);
    expect(st().series.a).toEqual([5]);
  });

  it("a kafka-mirror's per-topic figures: an unchanged tick keeps the node's object, a new lag replaces it", () => {
    const repl = (lag: number) => ({ orders: { target: "copy.orders", records: 5, lag, partitions: 3 } });
    statsActions.push("f", tick({ m: node({ in: 5, out: 5, replication: repl(2) }) }), 1000);
    statsActions.push("f", tick({ m: node({ in: 5, out: 5, replication: repl(2) }) }), 2000);
    const before = st().nodes.m;
    statsActions.push("f", tick({ m: node({ in: 5, out: 5, replication: repl(2) }) }), 3000);
    expect(st().nodes.m).toBe(before);
    statsActions.push("f", tick({ m: node({ in: 5, out: 5, replication: repl(0) }) }), 4000);
    expect(st().nodes.m).not.toBe(before);
    expect(st().nodes.m!.replication!.orders!.lag).toBe(0);
    // a topic more (a pattern matched a new one) is a change too
    statsActions.push("f", tick({ m: node({ in: 5, out: 5, replication: { ...repl(0), refunds: { target: "copy.refunds", records: 0, lag: 4, partitions: 1 } } }) }), 5000);
    expect(Object.keys(st().nodes.m!.replication!)).toEqual(["orders", "refunds"]);
  });

  it("a table's restore progress: an unchanged tick keeps the node's object, progress replaces it, the end removes it", () => {
    statsActions.push("f", tick({ t: node({ restoring: { partitions: 2, done: 10, total: 100 } }) }), 1000);
    statsActions.push("f", tick({ t: node({ restoring: { partitions: 2, done: 10, total: 100 } }) }), 2000);
    const before = st().nodes.t;
    statsActions.push("f", tick({ t: node({ restoring: { partitions: 2, done: 10, total: 100 } }) }), 3000);
    expect(st().nodes.t).toBe(before);
    statsActions.push("f", tick({ t: node({ restoring: { partitions: 1, done: 60, total: 100 } }) }), 4000);
    expect(st().nodes.t!.restoring).toEqual({ partitions: 1, done: 60, total: 100 });
    statsActions.push("f", tick({ t: node() }), 5000);
    expect(st().nodes.t!.restoring).toBeUndefined();
  });

  it("keeps each engine's main-thread delay, the same array while it does not change", () => {
    const load = [{ engineId: "e1", eventLoopP99Ms: 2.5, eventLoopMaxMs: 12 }];
    statsActions.push("f", { ...tick({}), engineLoad: load } as LiveStats, 1000);
    expect(st().engineLoad).toEqual(load);
    const before = st().engineLoad;
    statsActions.push("f", { ...tick({}), engineLoad: [{ ...load[0]! }] } as LiveStats, 2000);
    expect(st().engineLoad).toBe(before);
    statsActions.push("f", { ...tick({}), engineLoad: [{ ...load[0]!, eventLoopMaxMs: 80 }] } as LiveStats, 3000);
    expect(st().engineLoad[0]!.eventLoopMaxMs).toBe(80);
  });

  it("marks figures stale after 3 s without a tick, fresh again on the next", () => {
    statsActions.checkFresh(0);
    expect(st().stale).toBe(false); // nothing received yet: nothing to call stale
    statsActions.push("f", tick({ a: node() }), 10_000);
    statsActions.checkFresh(10_000 + STALE_MS);
    expect(st().stale).toBe(false);
    statsActions.checkFresh(10_000 + STALE_MS + 1);
    expect(st().stale).toBe(true);
    statsActions.push("f", tick({ a: node() }), 20_000);
    expect(st().stale).toBe(false);
    // subscribed, but no tick ever came: stale too
    statsActions.start(30_000);
    statsActions.checkFresh(30_000 + STALE_MS + 1);
    expect(st().stale).toBe(true);
  });

  it("an error is recent for five minutes", () => {
    expect(isRecentError(undefined, 0)).toBe(false);
    expect(isRecentError(1000, 1000 + RECENT_ERROR_MS - 1)).toBe(true);
    expect(isRecentError(1000, 1000 + RECENT_ERROR_MS)).toBe(false);
  });

  it("draws the sparkline newest at the right, scaled to its maximum", () => {
    expect(sparkPoints([])).toBe("");
    const pts = sparkPoints([0, 5, 10], 59, 12, 60).split(" ").map((p) => p.split(",").map(Number));
    expect(pts).toHaveLength(3);
    expect(pts[2]![0]).toBe(59);
    expect(pts[1]![0]).toBe(58);
    expect(pts[0]![1]).toBe(11); // 0 at the bottom
    expect(pts[2]![1]).toBe(1); // the maximum at the top
    // all zero: a flat line at the bottom
    expect(sparkPoints([0, 0], 59, 12, 60)).toBe("58.0,11.0 59.0,11.0");
  });
});
