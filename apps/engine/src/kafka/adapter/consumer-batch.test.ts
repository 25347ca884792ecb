// The consumer Batch replacement against kafkajs's own Batch: same fields (in the same order), same
// prototype, same results of its methods, over random fetches.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { prng } from "../../../test-support/random-messages.js";
import "../client.js";
import { ConsumerBatch, installKafkajsAdaptations, OriginalConsumerBatch } from "./install.js";

const require = createRequire(import.meta.url);

function partitionData(seed: number) {
  const r = prng(seed);
  const base = r.pick([0, r.int(1e9), 2 ** 53 + 2]); // beyond 2^53: kafkajs's BigInt comparison
  const n = r.int(50);
  const producerId = String(r.int(5));
  const messages = Array.from({ length: n }, (_, i) => ({
    offset: String(BigInt(base) + BigInt(i * (1 + r.int(2)))),
    isControlRecord: r.next() < 0.1,
    key: null,
    value: Buffer.from([i]),
    batchContext: { producerId, inTransaction: r.next() < 0.3 },
  }));
  const fetched = messages.length ? messages[r.int(messages.length)]!.offset : String(base);
  const abortedTransactions = r.next() < 0.3 ? [{ producerId, firstOffset: fetched }] : [];
  return {
    fetchedOffset: r.pick([fetched, Number(fetched), String(Number(fetched) - 3), ` ${fetched}`]),
    data: { partition: r.int(3), errorCode: 0, highWatermark: String(BigInt(base) + BigInt(2 * n + 1)), abortedTransactions, messages },
  };
}

const methods = ["isEmpty", "isEmptyIncludingFiltered", "isEmptyDueToFiltering", "isEmptyControlRecord", "isEmptyDueToLogCompactedMessages", "firstOffset", "lastOffset", "offsetLag", "offsetLagLow"] as const;

describe("consumer Batch", () => {
  it("is installed in kafkajs's consumer", () => {
    expect(installKafkajsAdaptations().find((a) => a.name === "consumer-batch")).toMatchObject({ active: true });
    expect(require("kafkajs/src/consumer/batch.js")).toBe(ConsumerBatch);
  });

  it("builds the same batches as kafkajs's for 500 random fetches", () => {
    for (let seed = 1; seed <= 500; seed++) {
      const { fetchedOffset, data } = partitionData(seed);
      const ours = new ConsumerBatch("t", fetchedOffset, data) as Record<string, unknown>;
      const theirs = new OriginalConsumerBatch("t", fetchedOffset, data) as Record<string, unknown>;
      expect(Object.getPrototypeOf(ours)).toBe(OriginalConsumerBatch.prototype);
      expect(ours instanceof OriginalConsumerBatch).toBe(true);
      expect(Object.keys(ours), `seed ${seed}`).toEqual(Object.keys(theirs));
      expect(ours, `seed ${seed}`).toEqual(theirs);
      for (const m of methods) expect((ours[m] as () => unknown).call(ours), `seed ${seed} ${m}`).toEqual((theirs[m] as () => unknown).call(theirs));
    }
  });
});
