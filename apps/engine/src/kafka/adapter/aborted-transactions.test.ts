import { describe, expect, it } from "vitest";
import { abortedTransactionLeak, interleavedAbortCase, keptByKafkajs, type AbortCase } from "./aborted-transactions.js";

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);
type Msg = AbortCase["messages"][number];
const rec = (offset: number, producerId: string, inTransaction = true): Msg => ({ offset: String(offset), key: null, batchContext: { producerId, inTransaction } });
const marker = (offset: number, producerId: string, key: Buffer): Msg => ({ offset: String(offset), key, isControlRecord: true, batchContext: { producerId, inTransaction: true } });

describe("read_committed filtering of aborted transactions (kafkajs as installed, patches/kafkajs@2.2.4.patch)", () => {
  it("hides interleaved aborted transactions listed in abort-marker order", () => {
    const c = interleavedAbortCase();
    expect(keptByKafkajs(c)).toEqual(c.committed);
    expect(abortedTransactionLeak()).toBeNull();
  });

  it("keeps committed and non-transactional records around an aborted transaction of the same producer", () => {
    const messages = [rec(0, "1"), rec(1, "1"), marker(2, "1", COMMIT), rec(3, "1"), rec(4, "1"), marker(5, "1", ABORT), rec(6, "1", false), rec(7, "2")];
    expect(keptByKafkajs({ messages, abortedTransactions: [{ firstOffset: "3", producerId: "1" }], committed: [] })).toEqual(["0", "1", "6", "7"]);
  });

  it("hides consecutive aborted transactions of one producer, whatever order they are listed in", () => {
    const messages = [rec(0, "1"), marker(1, "1", ABORT), rec(2, "1"), rec(3, "2"), marker(4, "1", ABORT), marker(5, "2", COMMIT)];
    const abortedTransactions = [{ firstOffset: "2", producerId: "1" }, { firstOffset: "0", producerId: "1" }];
    expect(keptByKafkajs({ messages, abortedTransactions, committed: [] })).toEqual(["3"]);
  });
});
