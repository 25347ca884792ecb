import { describe, expect, it } from "vitest";
import type { BatchContext, InMessage, KafkaClient, KafkaConsumer, OutMessage, PartitionsRevokedHook, RunOptions, Sender, SentRecord } from "../kafka/index.js";
import type { PlannedStage } from "../planner/index.js";
import { ConsumerStageRunner } from "./consumer-stage.js";
import type { Observers } from "./observer.js";
import { Outgoing, type PartitionChooser } from "./producing.js";
import type { StageExecutor, StageOutput } from "./stage.js";

const INPUT = "in";
const SINK = "sink";

/**
 * A consumer with kafkajs's notion of a partition's fetch position: resolveOffset moves it past
 * an offset; kafkajs's runner moves it past a batch's last offset after eachBatch returns when
 * eachBatchAutoResolve is on; a seek waits until the next fetch of the partition applies it
 * (which, with one fetcher per broker, can be another broker's fetcher while this one's batch is
 * still being handled); a group rejoin starts from the committed offset.
 */
function fakeKafka() {
  let options: RunOptions | undefined;
  let revoked: PartitionsRevokedHook | undefined;
  /** next offset a fetch of partition 0 asks for; undefined: the committed offset */
  let position: bigint | undefined;
  let seek: bigint | undefined;
  const committed: string[] = [];
  const consumer: KafkaConsumer = {
    connect: async () => {},
    subscribe: async () => {},
    run: async (o) => void (options = o),
    commitOffsets: async (offsets) => void committed.push(...offsets.map((o) => o.offset)),
    seek: (tp) => void (seek = BigInt(tp.offset)),
    pause() {},
    resume() {},
    stop: async () => {},
    disconnect: async () => {},
    onGroupJoin: () => () => {},
    onCrash: () => () => {},
  };
  const kafka = {
    consumer(o: { onPartitionsRevoked?: PartitionsRevokedHook }) {
      revoked = o.onPartitionsRevoked;
      return consumer;
    },
  } as unknown as KafkaClient;

  /** kafkajs's runner handing over one fetched batch of partition 0 (offsets first … first+count-1) */
  async function deliver(first: number, count: number): Promise<void> {
    const messages: InMessage[] = Array.from({ length: count }, (_, k) => ({
      offset: String(first + k),
      key: null,
      value: Buffer.from(JSON.stringify({ i: first + k })),
      headers: {},
      timestamp: "0",
    }));
    const last = String(first + count - 1);
    const ctx: BatchContext = {
      batch: { topic: INPUT, partition: 0, highWatermark: "1000", messages, firstOffset: () => messages[0]!.offset, lastOffset: () => last },
      resolveOffset: (o) => void (position = BigInt(o) + 1n),
      heartbeat: async () => {},
      isRunning: () => true,
      isStale: () => seek !== undefined,
      commitOffsetsIfNecessary: async () => {},
      pause: () => () => {},
    };
    await options!.eachBatch(ctx);
    if (options!.eachBatchAutoResolve !== false) position = BigInt(last) + 1n;
  }

  return {
    kafka,
    deliver,
    /** the start of a fetch that includes the partition: a pending seek takes effect */
    fetchStarts() {
      if (seek !== undefined) position = seek;
      seek = undefined;
    },
    hasSeek: () => seek !== undefined,
    /** kafkajs rejoining the group: the hook, then a new offset manager (positions from the committed offsets) */
    async rejoin(lost: boolean) {
      await revoked!(lost);
      position = undefined;
    },
    position: () => position,
    committed,
  };
}

/** The flow's producer: every sendBatch waits until the test acknowledges or fails it. */
function fakeProducer() {
  const sends: { parts: { topic: string; messages: OutMessage[] }[]; ack: () => void; fail: (e: Error) => void }[] = [];
  const sink: string[] = [];
  const producer: Sender = {
    send: (topic, messages) => producer.sendBatch([{ topic, messages }]),
    sendBatch: (parts) =>
      new Promise<SentRecord[]>((resolve, reject) => {
        sends.push({
          parts,
          ack: () => {
            for (const p of parts) for (const m of p.messages) sink.push(String(m.value));
            resolve(parts.map((p) => ({ topic: p.topic, partition: 0, baseOffset: String(sink.length) })));
          },
          fail: reject,
        });
      }),
  };
  return { producer, sends, sink };
}

/** copies every input record to SINK, partition 0 */
const copyToSink = {
  async runConsumer(inputs: { value: unknown }[], _offsets: readonly string[], _bytes: number, partitioning: { chooser: PartitionChooser | undefined; slot: number }): Promise<StageOutput> {
    const outgoing = new Outgoing(partitioning.chooser, partitioning.slot);
    for (const r of inputs) outgoing.add(SINK, { value: JSON.stringify(r.value), partition: 0 }, { bytes: 16 });
    return { outgoing, nodes: [] };
  },
} as unknown as StageExecutor;

async function startRunner() {
  const k = fakeKafka();
  const p = fakeProducer();
  const stage = { id: "s", groupId: "g", inputs: [INPUT], fromBeginning: true, concurrency: 1, transactionalIdPrefix: "tx" } as unknown as PlannedStage;
  const runner = new ConsumerStageRunner({
    kafka: k.kafka,
    flowId: "f",
    deploymentId: "d",
    stage,
    executor: copyToSink,
    observers: { onBatch() {}, onBatchError() {} } as unknown as Observers,
    exactlyOnce: false,
    provenance: false,
    producer: p.producer,
    deadLetterTopic: "dead",
    log() {},
    stopping: () => false,
    partitions: undefined as unknown as PartitionChooser,
  });
  await runner.start();
  return { k, p, runner };
}

const until = async (ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(ok()).toBe(true);
};

describe("ConsumerStageRunner (at-least-once): a batch it drops is fetched again", () => {
  it("moves the fetch position past a batch once its produce is under way", async () => {
    const { k, p, runner } = await startRunner();
    await k.deliver(0, 3);
    expect(k.position()).toBe(3n);
    expect(p.sends).toHaveLength(1);
    p.sends[0]!.ack();
    await until(() => k.committed.includes("3"));
    await runner.stop();
  });

  it("a failed produce's seek is not undone by the next batch, dropped while another fetcher applied the seek", async () => {
    const { k, p, runner } = await startRunner();
    await k.deliver(0, 3); // B1: producing in the background
    const second = k.deliver(3, 3); // B2: waits for B1
    await until(() => p.sends.length === 1);
    p.sends[0]!.fail(new Error("NOT_LEADER_OR_FOLLOWER"));
    await until(k.hasSeek);
    // the partition's leader moved: the new leader's fetcher fetches it (from B1) while B2 is still handled
    k.fetchStarts();
    expect(k.position()).toBe(0n);
    await second;
    // B1 and B2 were written nowhere: the next fetch must start at B1, not after B2
    expect(p.sink).toEqual([]);
    expect(k.position()).toBe(0n);
    expect(k.committed).toEqual([]);
    await runner.stop();
  });

  it("a batch dropped because the group was rejoined meanwhile leaves the position to the committed offset", async () => {
    const { k, p, runner } = await startRunner();
    await k.deliver(0, 3); // B1
    const second = k.deliver(3, 3); // B2: waits for B1
    await until(() => p.sends.length === 1);
    // the membership was lost while B1's produce hung on a dead leader: kafkajs rejoined without waiting for B2
    await k.rejoin(true);
    p.sends[0]!.ack();
    await second;
    expect(p.sends).toHaveLength(1); // B2 was not produced
    expect(k.position()).toBeUndefined(); // so it is fetched again from the committed offset
    await runner.stop();
  });

  it("a failed produce in a generation given up since does not seek the new generation's position", async () => {
    const { k, p, runner } = await startRunner();
    await k.deliver(0, 3);
    await until(() => p.sends.length === 1);
    await k.rejoin(true);
    p.sends[0]!.fail(new Error("NOT_LEADER_OR_FOLLOWER"));
    await new Promise((r) => setTimeout(r, 700));
    expect(k.hasSeek()).toBe(false);
    await runner.stop();
  });
});
