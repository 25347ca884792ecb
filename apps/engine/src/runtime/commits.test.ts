import { describe, expect, it } from "vitest";
import type { TopicPartitionOffset } from "../kafka/index.js";
import { OffsetCommitter, type OffsetCommitterOptions } from "./commits.js";

const at = (partition: number, offset: number): TopicPartitionOffset => ({ topic: "t", partition, offset: String(offset) });
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A committer over a fake consumer: records every commit request, optionally failing the first ones. */
function setup(o: Partial<OffsetCommitterOptions> & { failFirst?: number; commitMs?: number } = {}) {
  const commits: TopicPartitionOffset[][] = [];
  /** when each commit request started (ms) */
  const starts: number[] = [];
  const errors: Error[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let failures = o.failFirst ?? 0;
  let halted = false;
  const committer = new OffsetCommitter({
    intervalMs: 30,
    retryDelayMs: 5,
    async commit(offsets) {
      starts.push(Date.now());
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await tick(o.commitMs ?? 1);
      inFlight--;
      if (failures > 0) {
        failures--;
        throw new Error("coordinator not available");
      }
      commits.push(offsets);
    },
    halted: () => halted,
    failed: (e) => errors.push(e),
    ...o,
  });
  return { committer, commits, starts, errors, maxInFlight: () => maxInFlight, halt: () => (halted = true) };
}

describe("OffsetCommitter", () => {
  it("coalesces the offsets of every partition into one commit; the newest offset of a partition wins", async () => {
    const { committer, commits } = setup();
    const done: string[] = [];
    committer.add(at(0, 10), () => done.push("p0@10"));
    // the first commit goes out at once; what arrives meanwhile waits for the interval and goes together
    committer.add(at(0, 20), () => done.push("p0@20"));
    committer.add(at(1, 5), () => done.push("p1@5"));
    committer.add(at(0, 30), () => done.push("p0@30"));
    await committer.settled();
    expect(commits).toEqual([[at(0, 10)], [at(0, 30), at(1, 5)]]);
    expect(done).toEqual(["p0@10", "p0@20", "p0@30", "p1@5"]);
  });

  it("keeps one commit in flight and at most one per interval", async () => {
    const { committer, commits, starts, maxInFlight } = setup({ commitMs: 20 });
    // added faster than one commit takes (however slow the machine): they coalesce
    for (let i = 0; i < 4; i++) {
      committer.add(at(0, i), () => {});
      await tick(0);
    }
    await committer.settled();
    expect(maxInFlight()).toBe(1);
    expect(commits.length).toBeLessThan(4);
    expect(commits.at(-1)).toEqual([at(0, 3)]);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(29);
  });

  it("retries a failed commit and reports the failure; a newer offset supersedes the failed one", async () => {
    const { committer, commits, errors } = setup({ failFirst: 1 });
    const done: string[] = [];
    committer.add(at(0, 1), () => done.push("1"));
    await tick(2);
    committer.add(at(0, 2), () => done.push("2"));
    await committer.settled();
    expect(errors.map((e) => e.message)).toEqual(["coordinator not available"]);
    expect(commits).toEqual([[at(0, 2)]]);
    expect(done).toEqual(["1", "2"]);
  });

  it("gives a commit up after three failures (the records were produced: at worst consumed again)", async () => {
    const { committer, commits, errors } = setup({ failFirst: 5 });
    let done = false;
    committer.add(at(0, 1), () => (done = true));
    await committer.settled();
    expect(errors).toHaveLength(3);
    expect(commits).toEqual([]);
    expect(done).toBe(false);
  });

  it("commits nothing once halted (stopping, or the consumer was replaced)", async () => {
    const { committer, commits, halt } = setup();
    committer.add(at(0, 1), () => {});
    await committer.settled();
    halt();
    let done = false;
    committer.add(at(0, 2), () => (done = true));
    await committer.settled();
    expect(commits).toEqual([[at(0, 1)]]);
    expect(done).toBe(false);
  });

  it("flush() commits what is pending at once (no interval wait) and resolves when it is committed", async () => {
    const { committer, commits } = setup({ intervalMs: 10_000 });
    const done: string[] = [];
    committer.add(at(0, 1), () => done.push("p0@1"));
    await tick(5);
    committer.add(at(0, 2), () => done.push("p0@2"));
    committer.add(at(1, 7), () => done.push("p1@7"));
    const t0 = Date.now();
    await committer.flush();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(commits).toEqual([[at(0, 1)], [at(0, 2), at(1, 7)]]);
    expect(done).toEqual(["p0@1", "p0@2", "p1@7"]);
    // afterwards the interval holds again
    committer.add(at(0, 3), () => {});
    await tick(20);
    expect(commits).toHaveLength(2);
    committer.stop();
  });

  it("flush() retries a failed commit before it resolves, and resolves at once when nothing is pending", async () => {
    const { committer, commits, errors } = setup({ failFirst: 1, intervalMs: 10_000 });
    await committer.flush();
    committer.add(at(0, 1), () => {});
    await committer.flush();
    expect(errors).toHaveLength(1);
    expect(commits).toEqual([[at(0, 1)]]);
  });

  it("stop() ends the wait for the interval at once and drops what is pending", async () => {
    const { committer, commits } = setup({ intervalMs: 10_000 });
    committer.add(at(0, 1), () => {});
    await tick(5);
    committer.add(at(0, 2), () => {});
    const t0 = Date.now();
    committer.stop();
    await committer.settled();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(commits).toEqual([[at(0, 1)]]);
  });
});
