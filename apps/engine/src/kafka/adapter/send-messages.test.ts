import { describe, expect, it } from "vitest";
import { kafkajsInternal } from "./kafkajs-internals.js";
import { createSendMessages } from "./send-messages.js";

type Dependencies = Parameters<typeof createSendMessages>[0];
const createRetry = kafkajsInternal<(o: object) => Dependencies["retrier"]>("src/retry/index.js");

const NOT_LEADER_OR_FOLLOWER = 6;
const MESSAGE_TOO_LARGE = 10;

interface SentPartition {
  partition: number;
  messages: unknown[];
  firstSequence?: number;
}
interface SentRequest {
  nodeId: number;
  timeout: number;
  topicData: { topic: string; partitions: SentPartition[] }[];
}

/**
 * A cluster of fake brokers. `leaders[p]` is partition p's leader; `answer(nodeId, partition)` is
 * the error code that broker gives for it (0: written) or "drop" (connection lost, nothing known).
 */
function fakeCluster(opts: { leaders: number[]; answer: (nodeId: number, partition: number, attempt: number) => number | "drop"; leadersAfterRefresh?: number[] }) {
  let leaders = opts.leaders;
  const sent: SentRequest[] = [];
  const written = new Map<number, unknown[]>();
  let next = 0;
  const attempts = new Map<number, number>();
  const broker = (nodeId: number) => ({
    nodeId,
    lookupRequest: () => (args: { topicData: SentRequest["topicData"]; timeout: number }) => ({
      request: args,
      response: {
        decode: async (x: unknown) => x,
        parse: async () => {
          throw new Error("kafkajs's parse throws on the first partition error");
        },
      },
    }),
    connectionPool: {
      async send(req: { request: { topicData: SentRequest["topicData"]; timeout: number }; response: { parse(x: unknown): Promise<unknown> } }) {
        const topicData = req.request.topicData.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ ...p })) }));
        sent.push({ nodeId, timeout: req.request.timeout, topicData });
        const partitions = [];
        let dropped = false;
        for (const p of topicData[0]!.partitions) {
          const n = (attempts.get(p.partition) ?? 0) + 1;
          attempts.set(p.partition, n);
          const code = opts.answer(nodeId, p.partition, n);
          if (code === "drop") dropped = true;
          const ok = code === 0 || code === "drop";
          if (ok) written.set(p.partition, [...(written.get(p.partition) ?? []), ...p.messages]);
          partitions.push({ partition: p.partition, errorCode: code === "drop" ? 0 : code, baseOffset: ok ? String((next += 10)) : "-1", logAppendTime: "-1" });
        }
        if (dropped) throw Object.assign(new Error("Connection error: read ECONNRESET"), { name: "KafkaJSConnectionError", retriable: true });
        return req.response.parse({ topics: [{ topicName: topicData[0]!.topic, partitions }] });
      },
    },
    disconnect: async () => {},
  });
  const sequences = new Map<number, number>();
  return {
    sent,
    written,
    sequences,
    deps: {
      logger: { error() {}, debug() {} },
      cluster: {
        addMultipleTargetTopics: async () => {},
        refreshMetadataIfNecessary: async () => {},
        refreshMetadata: async () => {
          if (opts.leadersAfterRefresh) leaders = opts.leadersAfterRefresh;
        },
        findTopicPartitionMetadata: () => leaders.map((leader, partitionId) => ({ partitionId, leader })),
        findBroker: async ({ nodeId }: { nodeId: number }) => broker(nodeId),
        removeBroker() {},
        isConnected: () => true,
        connect: async () => {},
      },
      partitioner: ({ message }: { message: unknown }) => (message as { partition: number }).partition,
      eosManager: {
        isTransactional: () => false,
        getTransactionalId: () => "",
        getProducerId: () => 1,
        getProducerEpoch: () => 0,
        getSequence: (_t: string, p: number) => sequences.get(p) ?? 0,
        updateSequence: (_t: string, p: number, n: number) => void sequences.set(p, (sequences.get(p) ?? 0) + n),
        addPartitionsToTransaction: async () => {},
        acquireBrokerLock: async () => {},
        releaseBrokerLock() {},
      },
      retrier: createRetry({ retries: 5, initialRetryTime: 1, maxRetryTime: 5 }),
    } as unknown as Dependencies,
  };
}

const messages = (perPartition: number, partitions: number) =>
  Array.from({ length: perPartition * partitions }, (_, i) => ({ value: `v${i}`, partition: i % partitions }));

describe("sending across a leader failover", () => {
  it("sends a partition that failed on one broker to its new leader, even when that broker already answered", async () => {
    // partitions 0, 1 on broker 1; 2 on broker 2, which is no leader any more; 2 moves to broker 1
    const c = fakeCluster({ leaders: [1, 1, 2], leadersAfterRefresh: [1, 1, 1], answer: (nodeId) => (nodeId === 2 ? NOT_LEADER_OR_FOLLOWER : 0) });
    const msgs = messages(2, 3);
    const acks = await createSendMessages(c.deps)({ acks: -1, topicMessages: [{ topic: "t", messages: msgs }] });
    expect([...c.written.keys()].sort()).toEqual([0, 1, 2]);
    for (let p = 0; p < 3; p++) expect(c.written.get(p)).toEqual(msgs.filter((m) => m.partition === p));
    expect(acks.map((a) => a.partition).sort()).toEqual([0, 1, 2]);
    expect(acks.every((a) => a.errorCode === 0 && a.topicName === "t")).toBe(true);
    // the brokers wait for the replicas as long as kafkajs's own default (an absent timeout would be 0)
    expect(c.sent.every((r) => r.timeout === 30_000)).toBe(true);
    // the retry went to broker 1 with partition 2 only
    expect(c.sent.at(-1)).toMatchObject({ nodeId: 1, topicData: [{ topic: "t", partitions: [{ partition: 2 }] }] });
  });

  it("resends only the partitions a broker did not acknowledge, with their sequence rolled back", async () => {
    const c = fakeCluster({ leaders: [1, 1], answer: (_n, p, attempt) => (p === 1 && attempt === 1 ? NOT_LEADER_OR_FOLLOWER : 0) });
    const msgs = messages(3, 2);
    await createSendMessages(c.deps)({ acks: -1, topicMessages: [{ topic: "t", messages: msgs }] });
    expect(c.written.get(0)).toHaveLength(3); // written once, not duplicated by the retry
    expect(c.written.get(1)).toHaveLength(3);
    expect(c.sent).toHaveLength(2);
    expect(c.sent[1]!.topicData[0]!.partitions.map((p) => [p.partition, p.firstSequence])).toEqual([[1, 0]]);
    expect(c.sequences.get(0)).toBe(3);
    expect(c.sequences.get(1)).toBe(3);
  });

  it("after a lost connection resends with the same sequences (the broker recognises what it already has)", async () => {
    const c = fakeCluster({ leaders: [1, 2], answer: (nodeId, _p, attempt) => (nodeId === 2 && attempt === 1 ? "drop" : 0) });
    await createSendMessages(c.deps)({ acks: -1, topicMessages: [{ topic: "t", messages: messages(2, 2) }] });
    const toBroker2 = c.sent.filter((s) => s.nodeId === 2).map((s) => s.topicData[0]!.partitions[0]!.firstSequence);
    expect(toBroker2).toEqual([0, 0]);
    expect(c.sent.filter((s) => s.nodeId === 1)).toHaveLength(1);
  });

  it("keeps trying a partition that has no leader for a while, then fails instead of reporting success", async () => {
    const c = fakeCluster({ leaders: [1, -1], answer: () => 0 });
    await expect(createSendMessages(c.deps)({ acks: -1, topicMessages: [{ topic: "t", messages: messages(1, 2) }] })).rejects.toThrow(/leader/i);
    expect(c.written.get(0)).toHaveLength(1); // sent once
  });

  it("sends a topic listed twice as one list per partition, in order", async () => {
    const c = fakeCluster({ leaders: [1], answer: () => 0 });
    const [a, b] = [messages(2, 1), messages(3, 1)];
    await createSendMessages(c.deps)({ acks: -1, topicMessages: [{ topic: "t", messages: a }, { topic: "t", messages: b }] });
    expect(c.written.get(0)).toEqual([...a, ...b]);
    expect(c.sent).toHaveLength(1);
  });

  it("fails at once on an error Kafka calls final", async () => {
    const c = fakeCluster({ leaders: [1], answer: () => MESSAGE_TOO_LARGE });
    await expect(createSendMessages(c.deps)({ acks: -1, topicMessages: [{ topic: "t", messages: messages(1, 1) }] })).rejects.toThrow();
    expect(c.sent).toHaveLength(1);
    expect(c.sequences.get(0)).toBe(0);
  });
});
