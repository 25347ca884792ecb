import { describe, expect, it } from "vitest";
import { HEADER } from "@millrace/processors";
import type { OutMessage, Sender, SentRecord } from "../kafka/index.js";
import { ClusterSender, type ClusterTopic } from "./cluster-sender.js";

type Part = { topic: string; messages: OutMessage[] };

function recording(fail?: unknown): Sender & { requests: Part[][] } {
  const requests: Part[][] = [];
  return {
    requests,
    send: (topic, messages) => Promise.resolve([{ topic, partition: messages.length }]),
    sendBatch: async (batch) => {
      requests.push(batch);
      if (fail) throw fail;
      return batch.map((p): SentRecord => ({ topic: p.topic, partition: 0, baseOffset: "0" }));
    },
  };
}

const denied = Object.assign(new Error("Not authorized to access topics: [Topic authorization failed]"), { type: "TOPIC_AUTHORIZATION_FAILED" });

describe("ClusterSender", () => {
  const elsewhere = (sender: Sender): Map<string, ClusterTopic> => new Map([["far", { sender, connection: "east", principal: 'user "alice"', nodeId: "out", failureTopic: "mr-dlq.f" }]]);
  const m = (value: string, partition = 3): OutMessage => ({ value, partition, headers: { a: "1" } });

  it("hands requests without another cluster's topics to the own sender as they are", async () => {
    const own = recording();
    const sender = new ClusterSender(own, elsewhere(recording()), () => {});
    const batch = [{ topic: "near", messages: [m("x")] }];
    await sender.sendBatch(batch, 10);
    expect(own.requests).toEqual([batch]);
  });

  it("sends each topic to its cluster and returns both acks", async () => {
    const own = recording();
    const far = recording();
    const acks = await new ClusterSender(own, elsewhere(far), () => {}).sendBatch([{ topic: "near", messages: [m("x")] }, { topic: "far", messages: [m("y")] }]);
    expect(own.requests.map((r) => r.map((p) => p.topic))).toEqual([["near"]]);
    expect(far.requests.map((r) => r.map((p) => p.topic))).toEqual([["far"]]);
    expect(acks.map((a) => a.topic).sort()).toEqual(["far", "near"]);
  });

  it("sends records the other cluster refuses to the failure topic with the reason, instead of failing", async () => {
    const own = recording();
    const said: string[] = [];
    const acks = await new ClusterSender(own, elsewhere(recording(denied)), (_t, reason) => said.push(reason)).sendBatch([{ topic: "far", messages: [m("y")] }]);
    expect(acks).toEqual([]);
    const reason = 'not authorized to write topic "far" on the cluster of connection "east" as user "alice" (TOPIC_AUTHORIZATION_FAILED): an ACL must allow it WRITE on the topic';
    expect(said).toEqual([reason]);
    expect(own.requests).toEqual([[{ topic: "mr-dlq.f", messages: [{ key: undefined, value: "y", timestamp: undefined, headers: { a: "1", [HEADER.error]: reason, [HEADER.errorNode]: "out" } }] }]]);
  });

  it("lets any other failure fail the request (it is retried)", async () => {
    await expect(new ClusterSender(recording(), elsewhere(recording(new Error("broker down"))), () => {}).sendBatch([{ topic: "far", messages: [m("y")] }])).rejects.toThrow("broker down");
  });
});
