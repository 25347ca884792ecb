import { describe, expect, it } from "vitest";
import type { OutMessage, Sender, SentRecord } from "../kafka/index.js";
import { CoalescingSender } from "./coalescing-sender.js";

/** A fake broker: assigns offsets per topic-partition, answers when `release()` is called. */
function fakeSender() {
  const logs = new Map<string, string[]>();
  const requests: { topic: string; messages: OutMessage[] }[][] = [];
  const waiting: (() => void)[] = [];
  let failNext: Error | undefined;
  const sender: Sender = {
    send: (topic, messages) => sender.sendBatch([{ topic, messages }]),
    sendBatch(batch) {
      requests.push(batch);
      return new Promise<SentRecord[]>((resolve, reject) => {
        waiting.push(() => {
          if (failNext) {
            const e = failNext;
            failNext = undefined;
            return reject(e);
          }
          const acks: SentRecord[] = [];
          for (const { topic, messages } of batch) {
            const seen = new Set<number>();
            for (const m of messages) {
              const key = `${topic}/${m.partition}`;
              const log = logs.get(key) ?? [];
              logs.set(key, log);
              if (!seen.has(m.partition!)) acks.push({ topic, partition: m.partition!, baseOffset: String(log.length) });
              seen.add(m.partition!);
              log.push(String(m.value));
            }
          }
          resolve(acks);
        });
      });
    },
  };
  return {
    sender,
    logs,
    requests,
    release: () => waiting.splice(0).forEach((f) => f()),
    failNextRequest: (e: Error) => (failNext = e),
  };
}

const msgs = (prefix: string, partition: number, n: number): OutMessage[] => Array.from({ length: n }, (_, i) => ({ value: `${prefix}${i}`, partition }));
const flush = () => new Promise((r) => setTimeout(r, 0));

describe("CoalescingSender", () => {
  it("sends at once when idle, and merges what arrives while a request is in flight into one request", async () => {
    const f = fakeSender();
    const s = new CoalescingSender(f.sender);
    const a = s.sendBatch([{ topic: "t", messages: msgs("a", 0, 2) }]);
    await flush();
    expect(f.requests).toHaveLength(1);
    const b = s.sendBatch([{ topic: "t", messages: msgs("b", 0, 3) }, { topic: "u", messages: msgs("b", 1, 1) }]);
    const c = s.sendBatch([{ topic: "t", messages: [...msgs("c", 0, 1), ...msgs("c", 2, 2)] }]);
    await flush();
    expect(f.requests).toHaveLength(1); // b and c wait for a
    f.release();
    expect(await a).toEqual([{ topic: "t", partition: 0, baseOffset: "0" }]);
    await flush();
    expect(f.requests).toHaveLength(2);
    expect(f.requests[1]!.map((p) => [p.topic, p.messages.map((m) => m.value)])).toEqual([
      ["t", ["b0", "b1", "b2", "c0", "c0", "c1"]],
      ["u", ["b0"]],
    ]);
    f.release();
    // each caller gets the offset of its own first record per partition
    expect(await b).toEqual([
      { topic: "t", partition: 0, baseOffset: "2" },
      { topic: "u", partition: 1, baseOffset: "0" },
    ]);
    expect(await c).toEqual([
      { topic: "t", partition: 0, baseOffset: "5" },
      { topic: "t", partition: 2, baseOffset: "0" },
    ]);
    expect(f.logs.get("t/0")).toEqual(["a0", "a1", "b0", "b1", "b2", "c0"]);
  });

  it("fails every caller of a failed merged request and goes on with the next", async () => {
    const f = fakeSender();
    const s = new CoalescingSender(f.sender);
    const a = s.send("t", msgs("a", 0, 1));
    const b = s.send("t", msgs("b", 0, 1));
    const c = s.send("t", msgs("c", 0, 1));
    await flush();
    f.release(); // a
    await a;
    await flush();
    f.failNextRequest(new Error("NOT_LEADER"));
    f.release(); // b + c together
    await expect(b).rejects.toThrow("NOT_LEADER");
    await expect(c).rejects.toThrow("NOT_LEADER");
    const d = s.send("t", msgs("d", 0, 1));
    await flush();
    f.release();
    expect(await d).toEqual([{ topic: "t", partition: 0, baseOffset: "1" }]);
  });

  it("keeps merged requests under the byte limit (a larger single request goes alone)", async () => {
    const f = fakeSender();
    const s = new CoalescingSender(f.sender, 1, 1000);
    const big = (p: string) => [{ value: p.repeat(400), partition: 0 }];
    const first = s.send("t", big("x"));
    const rest = [s.send("t", big("a")), s.send("t", big("b")), s.send("t", big("c")), s.send("t", [{ value: "z".repeat(5000), partition: 0 }])];
    await flush();
    for (let i = 0; i < 5; i++) {
      f.release();
      await flush();
    }
    await Promise.all([first, ...rest]);
    expect(f.requests.map((r) => r[0]!.messages.length)).toEqual([1, 2, 1, 1]);
  });
});
