import { describe, expect, it } from "vitest";
import { Penalty } from "./penalty.js";

describe("a node that keeps ending workers waits longer each time", () => {
  it("doubles from the first wait up to the ceiling, and a batch without a kill clears it", () => {
    const p = new Penalty({ firstMs: 1000, maxMs: 8000 });
    expect(p.remainingMs(0)).toBe(0);
    expect(p.active).toBe(false);
    const waits = [1, 2, 3, 4, 5].map((k) => {
      p.workerKilled(k * 100_000);
      return p.remainingMs(k * 100_000);
    });
    expect(waits).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect(p.remainingMs(500_000 + 3000)).toBe(5000);
    expect(p.active).toBe(true);
    p.clear();
    expect(p.remainingMs(500_000 + 3000)).toBe(0);
    expect(p.active).toBe(false);
    p.workerKilled(0);
    expect(p.remainingMs(0)).toBe(1000);
  });
});
