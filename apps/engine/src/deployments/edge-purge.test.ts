import { describe, expect, it } from "vitest";
import type { GroupLag } from "../kafka/index.js";
import { logger } from "../log.js";
import type { ExecutionPlan } from "../planner/index.js";
import { EdgePurger, ownTopicReaders } from "./edge-purge.js";

const plan = {
  topics: [
    { name: "mr.f.a.success", role: "edge" },
    { name: "mr.f.b.replay", role: "replay" },
    { name: "ext-in", role: "external-in" },
    { name: "mr-dlq.f", role: "dead-letter" },
  ],
  stages: [
    { groupId: "g-a", inputs: ["ext-in"] },
    { groupId: "g-b", inputs: ["mr.f.a.success", "mr.f.b.replay"] },
    { groupId: "g-c", inputs: ["mr.f.a.success"] },
  ],
} as unknown as ExecutionPlan;

function fakeKafka(committed: Record<string, (number | null)[]>, atWindow: number[], low = 0) {
  const deleted: { topic: string; partitions: { partition: number; offset: number }[] }[] = [];
  return {
    deleted,
    groupLag: async (groupId: string, [topic]: string[]): Promise<GroupLag> => ({
      groupId,
      total: 0,
      partitions: (committed[groupId] ?? []).map((c, partition) => ({ topic: topic!, partition, committed: c, low, high: 100, lag: 0 })),
    }),
    offsetsAtTime: async () => atWindow.map((offset, partition) => ({ partition, offset })),
    deleteRecordsBefore: async (topic: string, partitions: { partition: number; offset: number }[]) => void deleted.push({ topic, partitions }),
  };
}

describe("EdgePurger", () => {
  it("purges only the flow's own edge and replay topics, with every group that reads each", () => {
    expect([...ownTopicReaders(plan)]).toEqual([
      ["mr.f.a.success", ["g-b", "g-c"]],
      ["mr.f.b.replay", ["g-b"]],
    ]);
  });

  it("deletes below the slowest reader's commit and the window's start, never what a reader has not committed", async () => {
    // partition 0: readers at 40 and 70, window starts at 90 → 40; partition 1: window at 10 → 10;
    // partition 2: g-c never committed → nothing
    const kafka = fakeKafka({ "g-b": [70, 80, 50], "g-c": [40, 90, null] }, [90, 10, 100]);
    await new EdgePurger(kafka, () => [plan], logger, 15).purgeOnce();
    expect(kafka.deleted.find((d) => d.topic === "mr.f.a.success")?.partitions).toEqual([
      { partition: 0, offset: 40 },
      { partition: 1, offset: 10 },
    ]);
  });

  it("asks nothing to be deleted where everything below the limit is gone already", async () => {
    const kafka = fakeKafka({ "g-b": [30], "g-c": [30] }, [100], 30);
    await new EdgePurger(kafka, () => [plan], logger, 15).purgeOnce();
    expect(kafka.deleted).toEqual([]);
  });
});
