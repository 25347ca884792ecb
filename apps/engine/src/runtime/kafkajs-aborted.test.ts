import { describe, expect, it } from "vitest";
import { filterAbortedMessagesFixed, interleavedAbortCase, kafkajsLeaksAbortedRecords } from "./kafkajs-aborted.js";

describe("read_committed filtering of interleaved aborted transactions", () => {
  it("the corrected filter keeps only committed records", () => {
    const c = interleavedAbortCase();
    const kept = filterAbortedMessagesFixed(c).filter((m) => !m.isControlRecord).map((m) => m.offset);
    expect(kept).toEqual(c.committed);
  });

  it("detects whether the installed kafkajs has the leak (informational)", () => {
    const leaks = kafkajsLeaksAbortedRecords();
    if (leaks) console.warn("kafkajs 2.2.4 leaks aborted transactional records to read_committed consumers (exactly-once across stages needs the patch in apps/engine/src/runtime/kafkajs-aborted.ts)");
    expect(typeof leaks).toBe("boolean");
  });
});
