import { describe, expect, it } from "vitest";
import { OffsetIndex } from "./offset-index.js";

describe("OffsetIndex", () => {
  it("maps contiguous batches one to one and positions past a batch after its last copy", () => {
    const ix = new OffsetIndex();
    ix.add("t", 0, 100, 109, 0, 10);
    ix.add("t", 0, 110, 119, 10, 10);
    expect(ix.translate("t", 0, 100)).toBe(0);
    expect(ix.translate("t", 0, 105)).toBe(5);
    expect(ix.translate("t", 0, 119)).toBe(19);
    // the group read everything copied: it continues after the last copy
    expect(ix.translate("t", 0, 120)).toBe(20);
    expect(ix.translate("t", 0, 500)).toBe(20);
  });
  it("does not translate positions older than what it knows, nor other partitions", () => {
    const ix = new OffsetIndex();
    ix.add("t", 0, 100, 109, 50, 10);
    expect(ix.translate("t", 0, 99)).toBeUndefined();
    expect(ix.translate("t", 1, 105)).toBeUndefined();
    ix.forget("t", 0);
    expect(ix.translate("t", 0, 105)).toBeUndefined();
  });
  it("falls back to the start of a batch with gaps (compaction, transaction markers): re-read, never skipped", () => {
    const ix = new OffsetIndex();
    ix.add("t", 0, 10, 30, 0, 5); // 5 messages between offsets 10 and 30
    expect(ix.translate("t", 0, 10)).toBe(0);
    expect(ix.translate("t", 0, 20)).toBe(0);
    expect(ix.translate("t", 0, 31)).toBe(5);
  });
  it("keeps a bounded number of batches per partition", () => {
    const ix = new OffsetIndex();
    for (let i = 0; i < 1000; i++) ix.add("t", 0, i * 10, i * 10 + 9, i * 10, 10);
    expect(ix.translate("t", 0, 0)).toBeUndefined();
    expect(ix.translate("t", 0, 9995)).toBe(9995);
  });
});
