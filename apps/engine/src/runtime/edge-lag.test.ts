import { describe, expect, it } from "vitest";
import type { PlannedEdge } from "../planner/index.js";
import { EdgeLagMonitor } from "./edge-lag.js";

const edge = (id: string, extra: Partial<PlannedEdge> = {}): PlannedEdge => ({
  id,
  from: { node: "a", port: "success" },
  to: "b",
  mode: "durable",
  requested: "durable",
  topic: `t.${id}`,
  consumerGroup: `g.${id}`,
  fromStage: "a",
  toStage: "b",
  ...extra,
});

describe("EdgeLagMonitor", () => {
  it("asks Kafka once per edge within the accepted age, again when the answer is older, never for fused edges", async () => {
    const asked: string[] = [];
    const m = new EdgeLagMonitor({
      groupLag: async (groupId, topics) => {
        asked.push(`${groupId}/${topics.join()}`);
        return { groupId, total: asked.length, partitions: [] };
      },
    });
    const edges = [edge("e1"), edge("e2", { mode: "fused", topic: undefined, consumerGroup: undefined })];
    expect(await m.queues(edges, 1000)).toEqual(new Map([["e1", 1]]));
    expect(await m.queues(edges, 1000)).toEqual(new Map([["e1", 1]]));
    expect(await m.queues(edges, 0)).toEqual(new Map([["e1", 2]]));
    expect(asked).toEqual(["g.e1/t.e1", "g.e1/t.e1"]);
  });

  it("leaves out an edge Kafka gave no answer for", async () => {
    const m = new EdgeLagMonitor({ groupLag: async () => Promise.reject(new Error("down")) });
    expect(await m.queues([edge("e1")], 0)).toEqual(new Map());
  });
});
