import { afterAll, describe, expect, it } from "vitest";
import { runProcessor } from "../../test-support/harness.js";
import { implementations } from "../runtime.js";
import { HEADER, type MRecord, type OfferableSource } from "../sdk.js";
import { closeUserCodePool } from "../user-code/pool.js";

afterAll(() => closeUserCodePool());

const ctx = () => ({ flowId: "f", nodeId: "n", signal: new AbortController().signal, log: () => {} });

describe("generate", () => {
  it("generates count records from the template with $i, then is done", async () => {
    const r = await runProcessor("generate", { count: 5, template: '{ "id": $i, "sq": $i * $i }' });
    expect(r.ports.success.map((x) => x.value)).toEqual([0, 1, 2, 3, 4].map((i) => ({ id: i, sq: i * i })));
    expect(r.done).toBe(true);
    expect(r.checkpoint).toBe(5);
    expect(r.ports.success.every((x) => x.headers[HEADER.id] && !x.headers[HEADER.parents])).toBe(true);
  });
  it("resumes from its checkpoint", async () => {
    const r = await runProcessor("generate", { count: 5, template: "$i" }, [], { checkpoint: 3 });
    expect(r.ports.success.map((x) => x.value)).toEqual([3, 4]);
  });
  it("count 0 is endless (bounded by the caller)", async () => {
    const r = await runProcessor("generate", { count: 0, template: "$i" }, [], { maxRecords: 250, pollMax: 100 });
    expect(r.ports.success).toHaveLength(250);
    expect(r.done).toBeUndefined();
  });
  it("respects ratePerSec", async () => {
    const p = await implementations.generate.create({ count: 0, ratePerSec: 20, template: "$i" }, ctx());
    const t = Date.now();
    let n = 0;
    while (Date.now() - t < 500) n += (await (p as any).poll(1000)).records.length;
    expect(n).toBeGreaterThanOrEqual(6);
    expect(n).toBeLessThanOrEqual(13);
  });
  it("skips values the template cannot produce, logging why", async () => {
    const r = await runProcessor("generate", { count: 3, template: '$i = 1 ? $number("x") : $i' });
    expect(r.ports.success.map((x) => x.value)).toEqual([0, 2]);
    expect(r.logs[0].msg).toMatch(/skipped \$i=1/);
  });
  it("a template that never ends for one $i skips that number; the engine's thread keeps running", async () => {
    let last = Date.now();
    let stallMs = 0;
    const timer = setInterval(() => {
      stallMs = Math.max(stallMs, Date.now() - last);
      last = Date.now();
    }, 5);
    try {
      const r = await runProcessor("generate", { count: 3, template: '$i = 1 ? $contains("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /^(a+)+$/) : $i' });
      expect(r.ports.success.map((x) => x.value)).toEqual([0, 2]);
      expect(r.logs[0].msg).toMatch(/skipped \$i=1: expression timed out after 1000 ms/);
    } finally {
      clearInterval(timer);
    }
    // the regex alone runs for minutes: it ran in the user-code pool
    expect(stallMs).toBeLessThan(500);
  });
});

describe("http-listen", () => {
  it("buffers offered records up to maxPending and polls them out", async () => {
    const offer: MRecord[] = Array.from({ length: 5 }, (_, i) => ({ value: { i }, headers: { "http.method": "POST" } }));
    const r = await runProcessor("http-listen", { path: "/in", maxPending: 3 }, [], { offer });
    expect(r.accepted).toBe(3);
    expect(r.ports.success.map((x) => x.value)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
  });
  it("wakes a waiting poll when a record is offered; refuses after close", async () => {
    const p = (await implementations["http-listen"].create({ path: "/x" }, ctx())) as OfferableSource;
    const polled = p.poll(10);
    setTimeout(() => p.offer({ value: 1, headers: {} }), 20);
    const t = Date.now();
    expect((await polled).records.map((r) => r.value)).toEqual([1]);
    expect(Date.now() - t).toBeLessThan(150);
    await p.close?.();
    expect(p.offer({ value: 2, headers: {} })).toBe(false);
  });
});
