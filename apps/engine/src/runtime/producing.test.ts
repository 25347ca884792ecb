import { describe, expect, it } from "vitest";
import { keyPartition, type OutMessage, type Sender, type SentRecord } from "../kafka/index.js";
import type { Emitted } from "./observer.js";
import { Outgoing, PartitionChooser, produce, refusedTimestamp, toRequests } from "./producing.js";

const msg = (n: number, key?: string): OutMessage => ({ value: Buffer.alloc(n), ...(key ? { key } : {}) });
/** an output written to `topics`, its message `bytes` long */
const owner = (bytes: number, topics: readonly string[] = ["a"]): Emitted => ({ port: "success", record: { value: null, headers: {} }, parent: 0, topics, bytes });

/** A batch as the stage executor builds it: every message added with its owner (whose bytes are its size). */
function batch(chooser: PartitionChooser | undefined, slot: number, items: [topic: string, m: OutMessage][]): Outgoing {
  const out = new Outgoing(chooser, slot);
  for (const [topic, m] of items) out.add(topic, m, owner((m.value as Buffer).length + (m.key?.length ?? 0), [topic]));
  return out;
}

/** A sender that acks like Kafka: per (topic, partition) of a request, the offset of its first record there. */
function fakeKafka(): Sender & { requests: { topic: string; messages: OutMessage[] }[][]; logs: Map<string, number> } {
  const logs = new Map<string, number>();
  const requests: { topic: string; messages: OutMessage[] }[][] = [];
  return {
    logs,
    requests,
    send: async () => [],
    async sendBatch(parts) {
      requests.push(parts);
      const acks: SentRecord[] = [];
      for (const { topic, messages } of parts)
        for (const m of messages) {
          const k = `${topic}/${m.partition}`;
          const next = logs.get(k) ?? 0;
          if (!acks.some((a) => a.topic === topic && a.partition === m.partition)) acks.push({ topic, partition: m.partition!, baseOffset: String(next) });
          logs.set(k, next + 1);
        }
      return acks;
    },
  };
}

describe("produce requests", () => {
  it("splits a batch into requests under the size limit, keeping order per topic, with the sizes counted by the executor", () => {
    const out = batch(undefined, 0, [["a", msg(400)], ["a", msg(400)], ["a", msg(400)], ["b", msg(100)]]);
    const reqs = toRequests(out, 1000);
    expect(reqs.map((r) => r.parts.map((x) => `${x.topic}:${x.start}+${x.messages.length}`))).toEqual([["a:0+2"], ["a:2+1", "b:0+1"]]);
    expect(reqs.map((r) => r.bytes)).toEqual([928, 628]);
    expect(toRequests(batch(undefined, 0, [["a", msg(5000)]]), 1000)).toHaveLength(1); // a big record goes alone
  });

  it("takes each message's size from its output, not from the message again", () => {
    const out = new Outgoing(undefined, 0);
    out.add("a", msg(10), owner(300));
    out.add("a", msg(10), owner(300));
    expect(toRequests(out, 500).map((r) => r.bytes)).toEqual([364, 364]);
  });

  it("hands a topic's list over as it is when it fits in one request (no copy)", () => {
    const out = batch(undefined, 0, [["a", msg(10)], ["a", msg(10)]]);
    expect(toRequests(out)[0]!.parts[0]!.messages).toBe(out.topics.get("a")!.messages);
  });
});

describe("partition choice", () => {
  const counts = new Map([["edge", 3], ["ext", 2]]);
  const items = (): [string, OutMessage][] => [["edge", msg(1)], ["edge", msg(1, "k")], ["ext", msg(1)], ["ext", msg(1, "k")]];
  const partitions = (out: Outgoing) => [...out.topics.values()].map((t) => t.messages.map((m) => m.partition));

  it("unkeyed records follow the slot (the input partition); keyed ones get Kafka's key hash, set when added", () => {
    expect(partitions(batch(new PartitionChooser(counts, new Set(["edge"]), false), 4, items()))).toEqual([[1, keyPartition("k", 3)], [0, keyPartition("k", 2)]]);
  });

  it("on internal topics in exactly-once mode keyed records follow the slot too", () => {
    expect(partitions(batch(new PartitionChooser(counts, new Set(["edge"]), true), 4, items()))).toEqual([[1, 1], [0, keyPartition("k", 2)]]);
  });

  it("a topic whose partitions are not known gets no partition (the client picks)", () => {
    expect(partitions(batch(new PartitionChooser(new Map(), new Set(), false), 4, [["x", msg(1)]]))).toEqual([[undefined]]);
  });

  it("a record's event time goes with it, except to the flow's own topics bounded by time (Kafka stamps those when written)", () => {
    const out = new Outgoing(new PartitionChooser(counts, new Set(["edge"]), false, { writeTime: new Set(["edge"]) }), 0);
    const toExt = msg(1);
    out.add("ext", toExt, owner(1), 1_700_000_000_000);
    // a copy of a message that went to a topic keeping event time
    const toEdge = { ...toExt };
    out.add("edge", toEdge, owner(1), 1_700_000_000_000);
    expect([toExt.timestamp, toEdge.timestamp]).toEqual([1_700_000_000_000, undefined]);
  });

  it("counts messages and returns each one's index in its topic", () => {
    const out = new Outgoing(undefined, 0);
    expect([out.add("a", msg(1), owner(1)), out.add("b", msg(1), owner(1)), out.add("a", msg(1), owner(1))]).toEqual([0, 0, 1]);
    expect(out.count).toBe(3);
  });
});

describe("produced positions", () => {
  it("returns the partition and offset of every message, per topic and aligned with its messages, across requests", async () => {
    const kafka = fakeKafka();
    kafka.logs.set("edge/1", 41);
    kafka.logs.set("ext/0", 7);
    const chooser = new PartitionChooser(new Map([["edge", 3], ["ext", 2]]), new Set(), false);
    const out = new Outgoing(chooser, 1);
    // 300 kB records: one per request, so each request's acks are attributed on their own
    const big = (key?: string) => msg(300_000, key);
    out.add("edge", big(), owner(300_000));
    out.add("edge", big(), owner(300_000));
    out.add("ext", big(), owner(300_000));
    out.add("ext", big("k"), owner(300_003));
    const positions = await produce(kafka, out, true);
    expect(kafka.requests).toHaveLength(4);
    const edge = positions!.get("edge")!;
    const ext = positions!.get("ext")!;
    const pk = keyPartition("k", 2);
    expect([...edge.partitions]).toEqual([1, 1]);
    expect([...edge.offsets]).toEqual([41, 42]);
    expect([...ext.partitions]).toEqual([1, pk]);
    expect([...ext.offsets]).toEqual([0, pk === 1 ? 1 : 7]);
  });

  it("attributes offsets per partition within one request (messages of a partition keep their order)", async () => {
    const kafka = fakeKafka();
    kafka.logs.set("t/0", 100);
    const out = new Outgoing(new PartitionChooser(new Map([["t", 2]]), new Set(), false), 0);
    const keys = ["a", "b", "c", "d", "e", "f"];
    for (const k of keys) out.add("t", msg(1, k), owner(2));
    const positions = (await produce(kafka, out, true))!.get("t")!;
    expect(kafka.requests).toHaveLength(1);
    const seen = [100, 0];
    const expected = keys.map((k) => seen[keyPartition(k, 2)]!++);
    expect([...positions.partitions]).toEqual(keys.map((k) => keyPartition(k, 2)));
    expect([...positions.offsets]).toEqual(expected);
  });

  it("leaves the batch as it was built: no offsets or partitions written into messages or outputs", async () => {
    const out = batch(new PartitionChooser(new Map([["a", 2]]), new Set(), false), 1, [["a", msg(5)], ["a", msg(5, "key")]]);
    // frozen: any write into a message, an output or a list throws
    for (const t of out.topics.values()) {
      for (const x of [...t.messages, ...t.owners]) Object.freeze(x);
      Object.freeze(t.messages);
      Object.freeze(t.owners);
    }
    const positions = await produce(fakeKafka(), out, true);
    expect([...positions!.get("a")!.offsets]).toEqual([0, keyPartition("key", 2) === 1 ? 1 : 0]);
  });

  it("returns nothing when positions are not wanted (provenance off)", async () => {
    expect(await produce(fakeKafka(), batch(undefined, 0, [["a", msg(1)]]), false)).toBeUndefined();
  });

  it("marks a message without a partition (partitions not known) as offset -1", async () => {
    const positions = await produce(fakeKafka(), batch(undefined, 0, [["a", msg(1)]]), true);
    expect([...positions!.get("a")!.offsets]).toEqual([-1]);
  });
});

describe("a topic refusing records' event time", () => {
  /** kafkajs's shape: a non-retriable error wrapping the broker's INVALID_TIMESTAMP */
  const invalidTimestamp = () => Object.assign(new Error("retries exhausted"), { cause: Object.assign(new Error("Timestamp 1000 of message is out of range"), { type: "INVALID_TIMESTAMP", code: 32 }) });

  it("sends the batch again stamped at write time, says so once per topic, and stamps that topic's later batches at write time", async () => {
    const kafka = fakeKafka();
    const sent: (string | number | undefined)[][] = [];
    const sender: Sender = {
      send: kafka.send,
      async sendBatch(parts, bytes) {
        const stamps = parts.flatMap((p) => p.messages.map((m) => m.timestamp));
        sent.push(stamps);
        if (parts.some((p) => p.topic === "strict") && stamps.some((t) => t !== undefined)) throw invalidTimestamp();
        return kafka.sendBatch(parts, bytes);
      },
    };
    const chooser = new PartitionChooser(new Map([["strict", 1], ["lenient", 1]]), new Set(), false);
    const warned: string[][] = [];
    const make = (topic: string) => {
      const out = new Outgoing(chooser, 0);
      out.add(topic, msg(1), owner(1, [topic]), 1000);
      return out;
    };
    const positions = await produce(sender, make("strict"), true, (topics) => warned.push(topics));
    expect(sent).toEqual([[1000], [undefined]]);
    expect([...positions!.get("strict")!.offsets]).toEqual([0]);
    expect(warned).toEqual([["strict"]]);

    await produce(sender, make("strict"), true, (topics) => warned.push(topics));
    expect(sent.at(-1)).toEqual([undefined]); // no refused attempt first
    expect(warned).toHaveLength(1);

    await produce(sender, make("lenient"), true, (topics) => warned.push(topics));
    expect(sent.at(-1)).toEqual([1000]); // other topics keep event time
  });

  it("any other failure, or a refusal of messages without timestamps, is thrown as it was", async () => {
    const failing = (e: Error): Sender => ({ send: async () => [], sendBatch: async () => Promise.reject(e) });
    const out = new Outgoing(new PartitionChooser(new Map([["a", 1]]), new Set(), false), 0);
    out.add("a", msg(1), owner(1));
    await expect(produce(failing(invalidTimestamp()), out, false)).rejects.toThrow("retries exhausted");
    const timed = new Outgoing(new PartitionChooser(new Map([["a", 1]]), new Set(), false), 0);
    timed.add("a", msg(1), owner(1), 5);
    await expect(produce(failing(new Error("broker down")), timed, false)).rejects.toThrow("broker down");
  });

  it("recognises kafkajs's INVALID_TIMESTAMP however it is wrapped", () => {
    expect(refusedTimestamp(invalidTimestamp())).toBe("Timestamp 1000 of message is out of range");
    expect(refusedTimestamp(Object.assign(new Error("x"), { errors: [new Error("a"), { type: "INVALID_TIMESTAMP", message: "m" }] }))).toBe("m");
    expect(refusedTimestamp(new Error("NOT_LEADER_FOR_PARTITION"))).toBeUndefined();
  });
});
