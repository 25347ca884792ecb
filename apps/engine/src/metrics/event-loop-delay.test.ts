import { describe, expect, it } from "vitest";
import { EngineMetrics } from "./metrics.js";

async function loopDelay(m: EngineMetrics): Promise<Record<string, number>> {
  const metric = await m.registry.getSingleMetric("millrace_event_loop_delay_seconds")!.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.stat), v.value]));
}

const idle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("millrace_event_loop_delay_seconds", () => {
  it("shows a blocked main thread in the next scrape (p50, p99, max), then resets for the next window", async () => {
    const m = new EngineMetrics();
    await idle(50);
    await loopDelay(m); // starts a fresh window
    const until = Date.now() + 150;
    while (Date.now() < until); // the main thread blocked for 150 ms
    await idle(30);
    const blocked = await loopDelay(m);
    expect(Object.keys(blocked).sort()).toEqual(["max", "p50", "p99"]);
    expect(blocked.max).toBeGreaterThanOrEqual(0.1);
    expect(blocked.p99).toBeLessThanOrEqual(blocked.max);
    expect(blocked.p50).toBeLessThanOrEqual(blocked.p99);

    await idle(100);
    const quiet = await loopDelay(m);
    expect(quiet.max).toBeLessThan(blocked.max);
    expect(await m.registry.metrics()).toMatch(/millrace_event_loop_delay_seconds\{stat="p99"\} /);
  });
});
