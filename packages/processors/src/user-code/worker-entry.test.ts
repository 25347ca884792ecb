import { describe, expect, it } from "vitest";
import { UserCodePool } from "./pool.js";
import { plainWorkerEntry, workerEntry } from "./worker-entry.js";

describe("user-code workers start from plain JavaScript", () => {
  it("the first start bundles worker.ts; later workers run the bundle without tsx and evaluate as before", async () => {
    const first = workerEntry(64);
    expect(first.entry).toMatch(/worker\.ts$/);
    const bundled = await plainWorkerEntry();
    expect(bundled).toMatch(/worker\.mjs$/);
    const next = workerEntry(64);
    expect(next.entry).toBe(bundled);
    expect(next.execArgv.join(" ")).not.toMatch(/tsx/);
    const pool = new UserCodePool({ workers: 1, memoryLimitMb: 64 });
    try {
      const out = await pool.run({ kind: "expression", sources: ['value.s & "!"'], mode: "value", timeoutMs: 1000, maxDepth: 500, maxSequence: 1e6 }, [{ value: { s: "a" }, headers: {} }], 1, { recordTimeoutMs: 1000, batchTimeoutMs: 5000, maxOutputBytes: 1e6 });
      expect(out.results).toEqual(["a!"]);
      const js = await pool.run({ kind: "javascript", code: "return value + 1;", timeLimitMs: 1000, memoryLimitMb: 32 }, [{ value: 1, headers: {} }], 1, { recordTimeoutMs: 2000, batchTimeoutMs: 5000, maxOutputBytes: 1e6 });
      expect(js.results).toEqual([2]);
    } finally {
      await pool.close();
    }
  });
});
