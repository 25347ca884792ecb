// The partitions-revoked adaptation on kafkajs's own ConsumerGroup and Runner prototypes, with
// stand-ins for what they reach (coordinator, retrier): the order of hook, join, leave and commit.
import { describe, expect, it } from "vitest";
import "../client.js";
import { kafkajsInternal } from "./kafkajs-internals.js";
import { assignerWithRevokeHook, CONSUMER_GROUP } from "./partitions-revoked.js";

type Proto = { prototype: Record<string, (...args: unknown[]) => Promise<void>> };
const ConsumerGroup = kafkajsInternal<Proto>(CONSUMER_GROUP);
const Runner = kafkajsInternal<Proto>("src/consumer/runner.js");

/** A kafkajs ConsumerGroup whose requests are recorded in `calls` instead of sent. */
function group(hook: ((lost: boolean) => Promise<void>) | undefined, memberId: string | null) {
  const calls: string[] = [];
  const assigner = hook ? assignerWithRevokeHook(hook)({ groupId: "g", logger: {}, cluster: {} }) : { name: "RoundRobinAssigner", version: 0 };
  const g = Object.assign(Object.create(ConsumerGroup.prototype), {
    groupId: "g",
    memberId,
    assigners: [assigner],
    logger: { error: (m: string) => calls.push(`error: ${m}`) },
    retrier: async () => void calls.push("join"),
    coordinator: { leaveGroup: async () => void calls.push("leave") },
    commitOffsets: async (o: unknown) => void calls.push(`group commit ${JSON.stringify(o)}`),
  });
  return { g, calls };
}

describe("partitions-revoked adaptation", () => {
  it("a rejoin awaits the hook first (lost: false while a member); a first join or a forgotten member says lost", async () => {
    const order: string[] = [];
    const hook = async (lost: boolean) => {
      await new Promise((r) => setTimeout(r, 20));
      order.push(`hook lost=${lost}`);
    };
    const member = group(hook, "m-1");
    await member.g.joinAndSync();
    expect([...order, ...member.calls]).toEqual(["hook lost=false", "join"]);
    order.length = 0;
    const fresh = group(hook, null);
    await fresh.g.joinAndSync();
    expect([...order, ...fresh.calls]).toEqual(["hook lost=true", "join"]);
  });

  it("leaving awaits the hook first; a consumer no longer a member leaves without it", async () => {
    const calls: string[] = [];
    const member = group(async (lost) => void calls.push(`hook lost=${lost}`), "m-1");
    await member.g.leave();
    expect([...calls, ...member.calls]).toEqual(["hook lost=false", "leave"]);
    calls.length = 0;
    const gone = group(async () => void calls.push("hook"), null);
    await gone.g.leave();
    expect([...calls, ...gone.calls]).toEqual([]);
  });

  it("a failing hook is logged and the join goes on; a consumer without a hook joins as before", async () => {
    const failing = group(async () => {
      throw new Error("boom");
    }, "m-1");
    await failing.g.joinAndSync();
    expect(failing.calls).toEqual([expect.stringContaining("partitions-revoked hook failed (boom)"), "join"]);
    const plain = group(undefined, "m-1");
    await plain.g.joinAndSync();
    await plain.g.leave();
    expect(plain.calls).toEqual(["join", "leave"]);
  });

  it("the hook rides on kafkajs's round-robin assigner, unchanged", () => {
    const a = assignerWithRevokeHook(async () => {})({ groupId: "g", logger: {}, cluster: {} }) as unknown as Record<string, unknown>;
    expect([a.name, a.version, typeof a.assign, typeof a.protocol]).toEqual(["RoundRobinAssigner", 0, "function", "function"]);
  });

  it("consumer commits reach the group while it stops (kafkajs resolved them without committing)", async () => {
    const { g, calls } = group(undefined, "m-1");
    const offsets = { topics: [{ topic: "t", partitions: [{ partition: 0, offset: "5" }] }] };
    const runner = Object.assign(Object.create(Runner.prototype), { running: false, consumerGroup: g, logger: { debug: () => {} } });
    await runner.commitOffsets(offsets);
    expect(calls).toEqual([`group commit ${JSON.stringify(offsets)}`]);

    // running: kafkajs's own path (its retrier); stopped during it: committed once more, directly
    calls.length = 0;
    runner.running = true;
    runner.retrier = async (attempt: (bail: (e: Error) => void) => Promise<void>) => {
      await attempt(() => {});
      runner.running = false;
    };
    await runner.commitOffsets(offsets);
    expect(calls).toEqual([`group commit ${JSON.stringify(offsets)}`, `group commit ${JSON.stringify(offsets)}`]);
  });
});
