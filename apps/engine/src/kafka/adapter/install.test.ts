// The adapter replaces kafkajs internals by path and was byte-checked against one kafkajs release:
// these tests fail when kafkajs changes under it.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import "../client.js";
import { installKafkajsAdaptations, KAFKAJS_VERSION, kafkaClientInfo } from "./install.js";
import { groupMessagesPerPartition } from "./partition-grouping.js";

const require = createRequire(import.meta.url);

describe("the kafkajs adapter", () => {
  it(`is installed over the kafkajs it was written for (${KAFKAJS_VERSION})`, () => {
    const installed = (require("kafkajs/package.json") as { version: string }).version;
    expect(
      installed,
      `kafkajs ${installed} is installed, but apps/engine/src/kafka/adapter/ was written for kafkajs ${KAFKAJS_VERSION}. ` +
        "Before changing KAFKAJS_VERSION (adapter/install.ts), re-check against the new kafkajs sources: " +
        "every internal path and capturing module listed in adapter/install.ts; the byte-identity tests " +
        "adapter/produce-encoder.test.ts, fetch-decoder.test.ts, consumer-batch.test.ts (and produce-encoder.int.test.ts, socket.int.test.ts); " +
        "adapter/partition-grouping.ts; the rebalance hook adapter/partitions-revoked.ts with its test and runtime/scale-out.int.test.ts; the aborted-transaction fix patches/kafkajs@2.2.4.patch (rename/port it, " +
        "pnpm-workspace.yaml patchedDependencies) with adapter/aborted-transactions.test.ts and runtime/crash.int.test.ts.",
    ).toBe(KAFKAJS_VERSION);
  });

  it("found every kafkajs internal it replaces (all adaptations active)", () => {
    const inactive = installKafkajsAdaptations().filter((a) => !a.active);
    expect(inactive, `inactive kafkajs adaptations: ${inactive.map((a) => `${a.name} (${a.reason})`).join("; ")}`).toEqual([]);
    expect(installKafkajsAdaptations().map((a) => a.name)).toEqual([
      "partition-grouping",
      "send-messages",
      "produce-encoder",
      "fetch-decoder",
      "consumer-batch",
      "no-nagle-socket",
      "aborted-transaction-filter",
      "partitions-revoked",
    ]);
  });

  it("installs once: later calls return the same list", () => {
    expect(installKafkajsAdaptations()).toBe(installKafkajsAdaptations());
    expect(kafkaClientInfo()).toEqual({ name: "kafkajs", version: KAFKAJS_VERSION, adaptations: installKafkajsAdaptations() });
  });

  it("kafkajs's producer groups messages per partition with the linear replacement", () => {
    expect(require("kafkajs/src/producer/groupMessagesPerPartition.js")).toBe(groupMessagesPerPartition);
    const msgs = [{ p: 1 }, { p: 0 }, { p: 1 }];
    expect(groupMessagesPerPartition({ topic: "t", partitionMetadata: [{}, {}], messages: msgs, partitioner: ({ message }) => (message as { p: number }).p })).toEqual({ 0: [msgs[1]], 1: [msgs[0], msgs[2]] });
    expect(groupMessagesPerPartition({ topic: "t", partitionMetadata: [], messages: msgs, partitioner: () => 0 })).toEqual({});
  });
});
