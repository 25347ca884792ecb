import { describe, expect, it } from "vitest";
import { restoreProgress, sameRestoring } from "./restore";

describe("a table's restore in words", () => {
  it("names the partitions and the changes read of the total, with a whole percentage", () => {
    expect(restoreProgress({ partitions: 2, done: 1234, total: 50_000 })).toEqual({ what: "restoring 2 partitions", read: "1234 of 50.0k changes", percent: 2 });
    expect(restoreProgress({ partitions: 1, done: 999, total: 1000 })).toEqual({ what: "restoring 1 partition", read: "999 of 1000 changes", percent: 99 });
  });

  it("a total not known yet reads as 0 %, never more than 100 %", () => {
    expect(restoreProgress({ partitions: 1, done: 0, total: 0 }).percent).toBe(0);
    expect(restoreProgress({ partitions: 1, done: 12, total: 10 }).percent).toBe(100);
  });

  it("equal figures are the same restore", () => {
    expect(sameRestoring({ partitions: 1, done: 5, total: 9 }, { partitions: 1, done: 5, total: 9 })).toBe(true);
    expect(sameRestoring({ partitions: 1, done: 5, total: 9 }, { partitions: 1, done: 6, total: 9 })).toBe(false);
    expect(sameRestoring(undefined, { partitions: 1, done: 5, total: 9 })).toBe(false);
    expect(sameRestoring(undefined, undefined)).toBe(true);
  });
});
