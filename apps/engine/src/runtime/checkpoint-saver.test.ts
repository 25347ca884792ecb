import { describe, expect, it } from "vitest";
import { CheckpointSaver } from "./checkpoint-saver.js";

function deferred() {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe("CheckpointSaver", () => {
  it("keeps one save in flight; the newest offered meanwhile wins, in order", async () => {
    const calls: unknown[] = [];
    const gates: ReturnType<typeof deferred>[] = [];
    const saver = new CheckpointSaver(
      (c) => {
        calls.push(c);
        const g = deferred();
        gates.push(g);
        return g.promise;
      },
      0,
      { failed: () => {}, recovered: () => {} },
    );
    saver.offer(1);
    saver.offer(2);
    saver.offer(3);
    expect(calls).toEqual([1]);
    gates[0]!.resolve();
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([1, 3]);
    gates[1]!.resolve();
    await saver.close(3);
    expect(calls).toEqual([1, 3]);
  });

  it("reports a failure once per outage, retries, and reports the recovery", async () => {
    let failing = true;
    const calls: unknown[] = [];
    const events: string[] = [];
    const saver = new CheckpointSaver(
      async (c) => {
        calls.push(c);
        if (failing) throw new Error("down");
      },
      undefined,
      { failed: (e) => events.push(`failed ${(e as Error).message}`), recovered: (n) => events.push(`recovered ${n}`) },
      5,
    );
    saver.offer(1);
    await new Promise((r) => setTimeout(r, 30));
    saver.offer(2);
    await new Promise((r) => setTimeout(r, 30));
    failing = false;
    await new Promise((r) => setTimeout(r, 30));
    expect(events[0]).toBe("failed down");
    expect(events[1]).toMatch(/^recovered \d+$/);
    expect(events).toHaveLength(2);
    expect(calls.at(-1)).toBe(2);
    await saver.close(2);
  });

  it("close saves the last checkpoint once and does not retry it", async () => {
    const calls: unknown[] = [];
    const saver = new CheckpointSaver(
      async (c) => {
        calls.push(c);
        throw new Error("down");
      },
      0,
      { failed: () => {}, recovered: () => {} },
      5,
    );
    await saver.close(7);
    expect(calls).toEqual([7]);
  });
});
