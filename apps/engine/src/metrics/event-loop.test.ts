import { describe, expect, it } from "vitest";
import { eventLoopDelay, takeEventLoopFigures } from "./event-loop.js";

const idle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("event-loop figures per reader", () => {
  it("each reader sees a stall in its own window; taking the figures starts a fresh one", async () => {
    const stats = eventLoopDelay.reader();
    const scrape = eventLoopDelay.reader();
    await idle(50);
    takeEventLoopFigures(stats);
    const until = Date.now() + 120;
    while (Date.now() < until); // the main thread blocked for 120 ms
    await idle(30);
    const blocked = takeEventLoopFigures(stats)!;
    expect(blocked.maxMs).toBeGreaterThanOrEqual(100);
    expect(blocked.p99Ms).toBeLessThanOrEqual(blocked.maxMs);
    // the other reader still holds the stall: reading one window does not reset another
    expect(scrape.max / 1e6).toBeGreaterThanOrEqual(100);
    await idle(60);
    expect(takeEventLoopFigures(stats)!.maxMs).toBeLessThan(blocked.maxMs);
  });
});
