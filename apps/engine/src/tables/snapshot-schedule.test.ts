import { describe, expect, it } from "vitest";
import type { ExecutionPlan } from "../planner/index.js";
import { scheduledSnapshots } from "./snapshot-schedule.js";
import { snapshotSettingsFromEnv } from "./snapshot-settings.js";

function plan(nodes: { id: string; config: Record<string, unknown>; state?: boolean }[]): ExecutionPlan {
  return { nodes: nodes.map((n) => ({ id: n.id, type: "table", config: n.config, ...(n.state ? { state: { changelogTopic: `mr.f.${n.id}.changelog`, partitions: 1 } } : {}) })) } as unknown as ExecutionPlan;
}

describe("scheduled snapshots", () => {
  it("are the stateful nodes with a snapshotEvery, with its period", () => {
    const plans = [
      { flowId: "f1", plan: plan([{ id: "t", config: { snapshotEvery: "1h" }, state: true }, { id: "u", config: {}, state: true }, { id: "x", config: { snapshotEvery: "1h" } }]) },
      { flowId: "f2", plan: plan([{ id: "agg", config: { snapshotEvery: "10m" }, state: true }, { id: "bad", config: { snapshotEvery: "soon" }, state: true }]) },
      // deployed before the period had a minimum: taken no more often than it
      { flowId: "f3", plan: plan([{ id: "old", config: { snapshotEvery: "1ms" }, state: true }]) },
    ];
    expect(scheduledSnapshots(plans)).toEqual([
      { flowId: "f1", nodeId: "t", everyMs: 3_600_000 },
      { flowId: "f2", nodeId: "agg", everyMs: 600_000 },
      { flowId: "f3", nodeId: "old", everyMs: 300_000 },
    ]);
  });
});

describe("snapshot settings", () => {
  it("default to <data>/snapshots, 3 kept, 512 MB, 30 min to read, a look every 30 s", () => {
    expect(snapshotSettingsFromEnv("/data", {})).toEqual({ directory: "/data/snapshots", keep: 3, maxBytes: 512 * 1024 * 1024, maxMs: 1_800_000, checkMs: 30_000 });
  });
  it("come from the environment, refusing what is not a positive whole number", () => {
    expect(snapshotSettingsFromEnv("/data", { MILLRACE_SNAPSHOT_DIR: "/snaps", MILLRACE_SNAPSHOT_KEEP: "5", MILLRACE_SNAPSHOT_MAX_MB: "2", MILLRACE_SNAPSHOT_MAX_SECONDS: "60", MILLRACE_SNAPSHOT_CHECK_SECONDS: "1" })).toEqual({
      directory: "/snaps",
      keep: 5,
      maxBytes: 2 * 1024 * 1024,
      maxMs: 60_000,
      checkMs: 1_000,
    });
    expect(() => snapshotSettingsFromEnv("/data", { MILLRACE_SNAPSHOT_KEEP: "0" })).toThrow('MILLRACE_SNAPSHOT_KEEP must be a positive whole number (got "0")');
  });
});
