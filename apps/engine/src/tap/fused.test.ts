import { describe, expect, it } from "vitest";
import type { MRecord } from "@millrace/processors";
import type { BatchEvent, NodeBatch } from "../runtime/observer.js";
import type { PlannedEdge } from "../planner/index.js";
import { FusedTaps } from "./fused.js";
import { recentFusedRecords, tapFusedEdge, type TappedRecord } from "./tap.js";

const rec = (i: number): MRecord => ({ key: `k${i}`, value: { i }, headers: { "mr.id": `id${i}`, "x-api-token": "s3cret" } });
const node = (nodeId: string, inputs: MRecord[]): NodeBatch => ({ nodeId, inputs, bytesIn: 0, outputs: [], bytesOut: 0, errors: 0 });
const batch = (deploymentId: string, nodes: NodeBatch[]): BatchEvent => ({ flowId: "f", deploymentId, stageId: "gen", input: null, startedAt: 0, durationMs: 1, transactional: false, nodes });
const edge: PlannedEdge = { id: "m.success->out", from: { node: "m", port: "success" }, to: "out", mode: "fused", requested: "fused", fromStage: "gen", toStage: "gen" };

describe("taps on fused edges (in process)", () => {
  it("gives listeners the records the edge's target was given, for their deployment only", () => {
    const taps = new FusedTaps();
    const seen: MRecord[] = [];
    const stop = taps.subscribe("d1", "out", (rs) => seen.push(...rs));
    taps.onBatch(batch("d1", [node("gen", []), node("m", [rec(0)]), node("out", [rec(1), rec(2)])]));
    taps.onBatch(batch("d2", [node("out", [rec(3)])]));
    expect(seen.map((r) => r.headers["mr.id"])).toEqual(["id1", "id2"]);
    expect(taps.listening).toBe(1);
    stop();
    taps.onBatch(batch("d1", [node("out", [rec(4)])]));
    expect(seen).toHaveLength(2);
    expect(taps.listening).toBe(0);
  });

  it("tapFusedEdge: shown like Kafka records (key, value, masked headers) with via fused and no position; a slow client gets the newest", async () => {
    const taps = new FusedTaps();
    const got: TappedRecord[] = [];
    const ready = new Promise<void>((onReady) => {
      void (async () => {
        for await (const r of tapFusedEdge(taps, "d1", edge, { max: 3, buffer: 3, ratePerSec: 1000, onReady })) got.push(r);
      })();
    });
    await ready;
    taps.onBatch(batch("d1", [node("out", Array.from({ length: 10 }, (_, i) => rec(i)))]));
    await new Promise((r) => setTimeout(r, 50));
    expect(got.map((r) => r.key)).toEqual(["k7", "k8", "k9"]); // the buffer of 3 kept the newest
    expect(got[0]).toMatchObject({ via: "fused", topic: null, partition: null, offset: null, value: { i: 7 } });
    expect(got[0]!.headers).toEqual({ "mr.id": "id7", "x-api-token": "***" });
    expect(taps.listening).toBe(0); // done after max: unsubscribed
  });

  it("recentFusedRecords: the next records passing, at most `limit`, or none after the wait", async () => {
    const taps = new FusedTaps();
    const pending = recentFusedRecords(taps, "d1", edge, 2, 500);
    taps.onBatch(batch("d1", [node("out", [rec(1), rec(2), rec(3)])]));
    expect((await pending).map((r) => r.key)).toEqual(["k1", "k2"]);
    expect(await recentFusedRecords(taps, "d1", edge, 2, 50)).toEqual([]);
    expect(taps.listening).toBe(0);
  });
});
