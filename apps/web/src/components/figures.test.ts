import { describe, expect, it } from "vitest";
import { edgeFigures, fmtBytes, fmtLimit } from "./figures";

describe("fmtBytes", () => {
  it("B under a thousand, then KB, MB… with one decimal", () => {
    expect(fmtBytes(0)).toBe("0 B");
    expect(fmtBytes(999)).toBe("999 B");
    expect(fmtBytes(1500)).toBe("1.5 KB");
    expect(fmtBytes(2_345_678)).toBe("2.3 MB");
    expect(fmtBytes(7e9)).toBe("7.0 GB");
    expect(fmtBytes(undefined)).toBe("–");
  });
});

describe("an edge's figures", () => {
  it("a round limit without a decimal", () => {
    expect(fmtLimit(1_000_000)).toBe("1M");
    expect(fmtLimit(250_000)).toBe("250k");
    expect(fmtLimit(1_500_000)).toBe("1.5M");
    expect(fmtLimit(800)).toBe("800");
  });
  it("say records a second and the queue against its threshold in words, the tooltip in full", () => {
    expect(edgeFigures("12.0", 0, 1_000_000)).toEqual({
      rate: "12.0 rec/s",
      queue: " · queue 0 of 1M",
      text: "12.0 rec/s · queue 0 of 1M",
      title: "12.0 records a second over the last second\n0 records waiting on the edge's topic; its sources pause at 1,000,000 (the queue threshold)",
    });
    expect(edgeFigures("3.5", undefined, undefined).text).toBe("3.5 rec/s");
    expect(edgeFigures("–", 12_345, undefined).text).toBe("– rec/s · queue 12.3k");
  });
});
