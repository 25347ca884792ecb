import { describe, expect, it } from "vitest";
import { filterAbortedMessagesFixed, interleavedAbortCase, kafkajsLeaksAbortedRecords } from "./kafkajs-aborted.js";

describe("read_committed filtering of interleaved aborted transactions", () => {
  it("the corrected filter keeps only committed records", () => {
    const c = interleavedAbortCase();
    const kept = filterAbortedMessagesFixed(c).filter((m) => !m.isControlRecord).map((m) => m.offset);
    expect(kept).toEqual(c.committed);
  });

  it("the installed kafkajs carries the fix (patches/kafkajs@2.2.4.patch)", () => {
    expect(kafkajsLeaksAbortedRecords()).toBe(false);
  });
});
