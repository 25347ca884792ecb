import { describe, expect, it } from "vitest";
import { KeyedQueue } from "./subject-queue.js";

describe("KeyedQueue", () => {
  it("runs one piece of work per key at a time, in order, others alongside; a failure does not block the rest", async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const work = (key: string, n: number, fail = false) =>
      queue.run(key, async () => {
        log.push(`start ${key}${n}`);
        await new Promise((r) => setTimeout(r, 5));
        log.push(`end ${key}${n}`);
        if (fail) throw new Error(`${key}${n} failed`);
        return n;
      });
    const results = await Promise.allSettled([work("a", 1, true), work("a", 2), work("b", 1), work("a", 3)]);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual(["a1 failed", 2, 1, 3]);
    expect(log.filter((l) => l.endsWith("a1") || l.endsWith("a2") || l.endsWith("a3"))).toEqual(["start a1", "end a1", "start a2", "end a2", "start a3", "end a3"]);
    expect(log.indexOf("start b1")).toBeLessThan(log.indexOf("end a1"));
    expect(queue.size).toBe(0);
  });
});
