import { describe, expect, it } from "vitest";
import type { MRecord } from "@millrace/processors";
import type { ExecutionPlan } from "../planner/index.js";
import type { BatchEvent, Emitted, NodeBatch } from "./observer.js";
import { encode, encodedBytes, decode } from "./records.js";
import { StatsRecorder, encodedSize, estimateBytes } from "./stats.js";

const rec = (i: number): MRecord => ({ key: `k${i}`, value: { i, text: "x".repeat(i % 3) }, headers: {} });
const out = (record: MRecord, bytes?: number): Emitted => ({ port: "success", record, parent: 0, topics: [], bytes, messageIndex: undefined });

// gen ─durable→ m ─fused→ out
const plan = {
  flowId: "f",
  nodes: [
    { id: "gen", kind: "source" },
    { id: "m", kind: "transform" },
    { id: "out", kind: "sink" },
  ],
  edges: [
    { id: "gen->m", from: { node: "gen", port: "success" }, to: "m", mode: "durable" },
    { id: "m->out", from: { node: "m", port: "success" }, to: "out", mode: "fused" },
  ],
} as unknown as ExecutionPlan;

describe("bytes on fused hops", () => {
  it("encodedSize is what encode() would write (value + key), also for a value decoded from Kafka", () => {
    for (const r of [rec(1), rec(2), { value: "plain", headers: {} }, { value: undefined, headers: {} }]) expect(encodedSize(r)).toBe(encodedBytes(encode(r)));
    const decoded = decode({ key: Buffer.from("k"), value: Buffer.from('{ "spaced" :  1 }'), headers: {}, offset: "0", timestamp: "0" } as never);
    expect(encodedSize(decoded)).toBe(18);
  });

  it("estimateBytes: exact for records of one size, from at most four samples", () => {
    let asked = 0;
    expect(estimateBytes(1000, () => (asked++, 25))).toBe(25_000);
    expect(asked).toBe(4);
    expect(estimateBytes(0, () => 1)).toBe(0);
    expect(estimateBytes(1, (i) => (i === 0 ? 7 : NaN))).toBe(7);
  });

  it("a fused edge and its target's bytes in are counted (estimated), not 0; durable bytes stay exact", () => {
    const stats = new StatsRecorder();
    stats.track("d", "f", plan);
    const inputs = Array.from({ length: 9 }, (_, i) => rec(i));
    const fusedOuts = inputs.map((r) => out(r)); // m → out is fused: never encoded, no bytes
    const exact = inputs.reduce((s, r) => s + encodedSize(r), 0);
    const nodes: NodeBatch[] = [
      { nodeId: "m", inputs, bytesIn: 500, outputs: fusedOuts, bytesOut: 0, errors: 0 },
      { nodeId: "out", inputs, bytesIn: 0, outputs: [], bytesOut: 0, errors: 0 },
    ];
    const b: BatchEvent = { flowId: "f", deploymentId: "d", stageId: "m", input: null, startedAt: 0, durationMs: 1, transactional: false, nodes };
    stats.onBatch(b);
    const f = stats.figures("d")!;
    expect(f.nodes.m!.bytesIn).toBe(500); // read from Kafka: as given
    expect(f.edges["m->out"]!.records).toBe(9);
    expect(f.edges["m->out"]!.bytes).toBeGreaterThan(exact * 0.8);
    expect(f.edges["m->out"]!.bytes).toBeLessThan(exact * 1.2);
    expect(f.nodes.out!.bytesIn).toBe(f.edges["m->out"]!.bytes);
  });
});

describe("paused sources", () => {
  it("publishes which paused sources the disk guard holds, apart from back pressure", () => {
    const r = new StatsRecorder();
    r.track("d", "f", plan);
    const pause = (paused: boolean, edges: string[], disk?: boolean) => r.onPause({ flowId: "f", deploymentId: "d", stageId: "gen", paused, edges, disk });
    pause(true, ["gen->m"]);
    expect(r.figures("d")).toMatchObject({ paused: { gen: ["gen->m"] } });
    expect(r.figures("d")!.pausedForDisk).toBeUndefined();
    pause(true, ["gen->m"], true);
    expect(r.figures("d")).toMatchObject({ paused: { gen: ["gen->m"] }, pausedForDisk: ["gen"] });
    pause(true, ["gen->m"], false);
    expect(r.figures("d")!.pausedForDisk).toBeUndefined();
    pause(true, [], true);
    pause(false, [], false);
    expect(r.figures("d")).toMatchObject({ paused: {} });
    expect(r.figures("d")!.pausedForDisk).toBeUndefined();
  });
});

describe("writes another cluster refused", () => {
  it("count as the writing node's errors, with the refusal as its last error", () => {
    const r = new StatsRecorder();
    r.track("d", "f", plan);
    const reason = 'not authorized to write topic "east" on the cluster of connection "east" as alice (TOPIC_AUTHORIZATION_FAILED): an ACL must allow it WRITE on the topic';
    r.onRefusedWrite({ flowId: "f", deploymentId: "d", stageId: "m", nodeId: "out", records: 7, reason });
    r.onRefusedWrite({ flowId: "f", deploymentId: "d", stageId: "m", nodeId: "out", records: 3, reason });
    const n = r.figures("d")!.nodes.out!;
    expect(n.errors).toBe(10);
    expect(n).toMatchObject({ lastError: reason });
    // an unknown deployment or node is ignored
    r.onRefusedWrite({ flowId: "f", deploymentId: "other", stageId: "m", nodeId: "out", records: 1, reason });
    expect(r.figures("d")!.nodes.out!.errors).toBe(10);
  });
});

describe("a table's restore", () => {
  it("shows on its node while it lasts, summed over the partitions restoring", () => {
    const r = new StatsRecorder();
    r.track("d", "f", plan);
    const at = { flowId: "f", deploymentId: "d", stageId: "m", nodeId: "m" };
    r.onRestore({ ...at, partition: 0, done: 10, total: 100 });
    r.onRestore({ ...at, partition: 1, done: 5, total: 50 });
    expect(r.figures("d")!.nodes.m!.restoring).toEqual({ partitions: 2, done: 15, total: 150 });
    r.onRestore({ ...at, partition: 0, done: 100, total: 100 });
    r.onRestore({ ...at, partition: 1, done: 1, total: 1 });
    expect(r.figures("d")!.nodes.m!.restoring).toBeUndefined();
  });
});

describe("a failing batch", () => {
  it("is its stage head's last error, not an error count", () => {
    const r = new StatsRecorder();
    r.track("d", "f", plan);
    r.onBatchError({ flowId: "f", deploymentId: "d", stageId: "m", input: null, error: new Error("broker gone") });
    expect(r.figures("d")!.nodes.m).toMatchObject({ errors: 0, lastError: "retrying: broker gone" });
  });
});
