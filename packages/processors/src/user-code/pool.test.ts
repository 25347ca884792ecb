import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { runProcessor } from "../../test-support/harness.js";
import { HEADER, isTransientError, type MRecord } from "../sdk.js";
import { closeUserCodePool, userCodePool, UserCodePool } from "./pool.js";

const rec = (value: unknown): MRecord => ({ value, headers: {} });

/** The nice value of each of this process's children (its user-code workers). */
function workerNiceness(): number[] {
  try {
    const out = execFileSync("ps", ["-o", "ni=", "--ppid", String(process.pid)], { encoding: "utf8" });
    return out.split("\n").filter((l) => l.trim() !== "").map(Number);
  } catch {
    return []; // ps exits 1 when there are none
  }
}
const reasons = (rs: MRecord[]) => rs.map((r) => r.headers[HEADER.error]);

/** The longest the engine's thread went without running a 5 ms timer while `work` ran. */
async function longestStall<T>(work: () => Promise<T>): Promise<{ result: T; stallMs: number }> {
  let last = Date.now();
  let stallMs = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 5);
  try {
    const result = await work();
    return { result, stallMs: Math.max(stallMs, Date.now() - last) };
  } finally {
    clearInterval(timer);
  }
}

afterAll(() => closeUserCodePool());

describe("user code that never ends or fills the heap fails its record, not the engine", () => {
  it("a recursive JSONata function fails its record; the others of the batch pass", async () => {
    const { ports } = await runProcessor("map", { expression: "value.bad ? ($f := function($n){ $f($n+1) }; $f(0)) : value.x * 2" }, [rec({ x: 1 }), rec({ bad: true }), rec({ x: 3 })]);
    expect(ports.success.map((r) => r.value)).toEqual([2, 6]);
    expect(reasons(ports.failure)).toEqual([expect.stringMatching(/expression (failed|timed out)/)]);
  });

  it("a catastrophic regular expression is ended with its worker; the engine's thread keeps running", async () => {
    const replaced = userCodePool().replaced;
    const { result, stallMs } = await longestStall(() =>
      runProcessor("filter", { expression: '$contains(value.s, /^(a+)+$/)' }, [rec({ s: "aaaa" }), rec({ s: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!" }), rec({ s: "aaaaa" })]),
    );
    expect(result.ports.success.map((r) => r.value)).toEqual([{ s: "aaaa" }, { s: "aaaaa" }]);
    expect(reasons(result.ports.failure)).toEqual(["expression timed out after 1000 ms"]);
    expect(userCodePool().replaced).toBeGreaterThan(replaced);
    // the regex alone runs for minutes: it ran elsewhere
    expect(stallMs).toBeLessThan(500);
  });

  it("a memory bomb ends its worker with 'out of memory'; the next record runs in a fresh one", async () => {
    const bomb = '$join([$pad("", 1e8, "x"), $pad("", 1e8, "x"), $pad("", 1e8, "x")])';
    const { ports } = await runProcessor("map", { expression: `value.bomb ? $length(${bomb}) : value.x` }, [rec({ x: 1 }), rec({ bomb: true }), rec({ x: 2 })]);
    expect(ports.success.map((r) => r.value)).toEqual([1, 2]);
    // on a loaded machine the time limit may end it before the heap fills: either way only it fails
    expect(reasons(ports.failure)).toEqual([expect.stringMatching(/^(out of memory \(limit 64 MB\)|expression timed out after 1000 ms)$/)]);
  });

  it("route and set-headers name the expression that failed", async () => {
    const route = await runProcessor("route", { routes: [{ name: "small", expression: "value.n < 10" }, { name: "regex", expression: '$contains(value.s, /^(a+)+$/)' }] }, [rec({ n: 1 }), rec({ n: 50, s: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!" }), rec({ n: 60, s: "aa" })]);
    expect(route.ports.small?.map((r) => r.value)).toEqual([{ n: 1 }]);
    expect(route.ports.regex?.map((r) => r.value)).toEqual([{ n: 60, s: "aa" }]);
    expect(reasons(route.ports.failure)).toEqual(["route 'regex': expression timed out after 1000 ms"]);
    const headers = await runProcessor("set-headers", { headers: { a: "value.n", b: "$string(value.n * 2)" } }, [rec({ n: 1 })]);
    expect(headers.ports.success[0]!.headers).toMatchObject({ a: "1", b: "2" });
  });

  it("an output larger than the limit fails its record", async () => {
    const pool = new UserCodePool({ workers: 1, memoryLimitMb: 64 });
    try {
      const out = await pool.run({ kind: "expression", sources: ['$pad("", value, "x")'], mode: "value", timeoutMs: 1000, maxDepth: 500, maxSequence: 1e6 }, [rec(10), rec(5000)], 1, { recordTimeoutMs: 1000, batchTimeoutMs: 5000, maxOutputBytes: 1000 });
      expect(out.results[0]).toBe("x".repeat(10));
      expect(out.failures).toEqual([[1, 0, expect.stringMatching(/^output too large/)]]);
    } finally {
      await pool.close();
    }
  });

  it("the batch time limit holds across replaced workers: later records are not run", async () => {
    const pool = new UserCodePool({ workers: 1, memoryLimitMb: 64 });
    try {
      const records = Array.from({ length: 6 }, () => rec({ s: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!" }));
      const t = Date.now();
      const out = await pool.run({ kind: "expression", sources: ['$contains(value.s, /^(a+)+$/)'], mode: "truthy", timeoutMs: 200, maxDepth: 500, maxSequence: 1e6 }, records, 1, { recordTimeoutMs: 200, batchTimeoutMs: 700, maxOutputBytes: 1e6 });
      expect(out.failures).toHaveLength(6);
      const why = out.failures.map((f) => f[2]);
      expect(why.filter((r) => r === "expression timed out after 200 ms").length).toBeGreaterThanOrEqual(1);
      expect(why.filter((r) => /batch used its time limit/.test(r)).length).toBeGreaterThanOrEqual(1);
      // six records of minutes each, ended within about the batch limit (plus worker starts)
      expect(Date.now() - t).toBeLessThan(6000);
    } finally {
      await pool.close();
    }
  });

  it("javascript: an endless loop and a doubling string fail their records; the engine does not grow", async () => {
    const code = 'if (value === 1) { while (true) {} } if (value === 2) { let s = "x"; while (true) s += s; } return value;';
    const before = process.memoryUsage().rss;
    const { ports } = await runProcessor("javascript", { code, memoryLimitMb: 32, timeLimitMs: 500 }, [rec(0), rec(1), rec(2), rec(3)]);
    expect(ports.success.map((r) => r.value)).toEqual([0, 3]);
    expect(reasons(ports.failure)).toEqual([expect.stringMatching(/used more than 500 ms/), expect.stringMatching(/out of memory|string too long/)]);
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 1024 * 1024);
  });

  it("javascript limits stay under the consumer session timeout", async () => {
    await expect(runProcessor("javascript", { code: "return value;", timeLimitMs: 60_000 }, [])).rejects.toThrow(/timeLimitMs is at most 5000/);
    await expect(runProcessor("javascript", { code: "return value;", batchTimeLimitMs: 600_000 }, [])).rejects.toThrow(/batchTimeLimitMs is at most 8000/);
  });

  it("closing the pool mid-batch rejects with a transient error: the batch is retried, no record fails", async () => {
    const pool = new UserCodePool({ workers: 1, memoryLimitMb: 64 });
    const running = pool.run({ kind: "expression", sources: ['$contains(value.s, /^(a+)+$/)'], mode: "truthy", timeoutMs: 5000, maxDepth: 500, maxSequence: 1e6 }, [rec({ s: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!" })], 1, { recordTimeoutMs: 5000, batchTimeoutMs: 8000, maxOutputBytes: 1e6 });
    const settled = running.then(
      () => "resolved",
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 300));
    await pool.close();
    expect(isTransientError(await settled)).toBe(true);
  });

  it("simple expressions never reach the pool", async () => {
    await closeUserCodePool();
    const { ports } = await runProcessor("filter", { expression: "value.n = 2" }, [rec({ n: 1 }), rec({ n: 2 })]);
    expect(ports.success).toHaveLength(1);
    expect(userCodePool().size).toBe(0);
  });
});

describe("a node whose records keep ending workers is penalized; a runaway record yields the CPU", () => {
  const regex = { kind: "expression", sources: ['$contains(value.s, /^(a+)+$/)'], mode: "truthy", timeoutMs: 200, maxDepth: 500, maxSequence: 1e6 } as const;
  const poison = () => rec({ s: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!" });

  it("after a kill, the node's next batch waits its penalty while another node's batch goes first", async () => {
    const pool = new UserCodePool({ workers: 2, memoryLimitMb: 64, penalty: { firstMs: 1500, maxMs: 3000 } });
    const poisoned = { recordTimeoutMs: 200, batchTimeoutMs: 5000, maxOutputBytes: 1e6 };
    const healthy = { ...poisoned };
    try {
      const first = await pool.run(regex, [poison()], 1, poisoned);
      expect(first.failures).toEqual([[0, 0, "expression timed out after 200 ms"]]);
      const order: string[] = [];
      const niced = pool.niced;
      const t = Date.now();
      await Promise.all([
        pool.run(regex, [rec({ s: "aa" })], 1, poisoned).then(() => order.push("penalized")),
        pool.run(regex, [rec({ s: "aa" })], 1, healthy).then(() => order.push("other")),
      ]);
      expect(order).toEqual(["other", "penalized"]);
      expect(Date.now() - t).toBeGreaterThanOrEqual(1000);
      // the penalized node's batch ran at the lowest priority from its start; the other's did not
      expect(pool.niced).toBe(niced + 1);
      // that batch ended no worker: the penalty is cleared and a later batch beats a penalized node's
      await pool.run(regex, [poison()], 1, healthy);
      const again: string[] = [];
      await Promise.all([pool.run(regex, [rec({ s: "a" })], 1, healthy).then(() => again.push("penalized")), pool.run(regex, [rec({ s: "a" })], 1, poisoned).then(() => again.push("cleared"))]);
      expect(again).toEqual(["cleared", "penalized"]);
      // one for the runaway record, one for the newly penalized node; the cleared node runs at normal priority
      expect(pool.niced).toBe(niced + 3);
    } finally {
      await pool.close();
    }
  });

  it("records left in a poisoned batch fail with the reason once the penalty would pass the batch limit", async () => {
    const pool = new UserCodePool({ workers: 1, memoryLimitMb: 64, penalty: { firstMs: 400, maxMs: 3000 } });
    try {
      const out = await pool.run(regex, [poison(), poison(), poison(), poison(), poison(), rec({ s: "aa" })], 1, { recordTimeoutMs: 200, batchTimeoutMs: 1500, maxOutputBytes: 1e6 });
      const why = out.failures.map((f) => f[2]);
      // 200 ms + 400 ms wait, 200 ms + 800 ms wait: the third kill's wait would end past the limit
      expect(why.filter((r) => r === "expression timed out after 200 ms").length).toBeLessThanOrEqual(3);
      expect(why).toContain("not run: the batch used its time limit (its node waits after ending a worker)");
      expect(out.failures).toHaveLength(6);
    } finally {
      await pool.close();
    }
  });

  it("closing the pool wakes a penalized batch with a transient error", async () => {
    const pool = new UserCodePool({ workers: 1, memoryLimitMb: 64, penalty: { firstMs: 60_000, maxMs: 60_000 } });
    const limits = { recordTimeoutMs: 200, batchTimeoutMs: 5000, maxOutputBytes: 1e6 };
    await pool.run(regex, [poison()], 1, limits);
    const waiting = pool.run(regex, [rec({ s: "aa" })], 1, limits).then(
      () => "resolved",
      (e: unknown) => e,
    );
    await pool.close();
    expect(isTransientError(await waiting)).toBe(true);
  });

  it("a record past its first 100 ms runs at the lowest CPU priority; that worker is retired after its batch", async () => {
    const pool = new UserCodePool({ workers: 1, memoryLimitMb: 64 });
    try {
      const slow = { kind: "javascript", code: "const t = Date.now(); while (Date.now() - t < 600) {} return value;", timeLimitMs: 2000, memoryLimitMb: 32 } as const;
      const running = pool.run(slow, [rec(1)], 1, { recordTimeoutMs: 3000, batchTimeoutMs: 5000, maxOutputBytes: 1e6 });
      let seen: number[] = [];
      for (let i = 0; i < 100 && !seen.includes(19); i++) {
        await new Promise((r) => setTimeout(r, 20));
        seen = workerNiceness();
      }
      expect(seen).toContain(19);
      const out = await running;
      expect(out.results[0]).toBe(1);
      expect(pool.niced).toBe(1);
      expect(pool.replaced).toBe(0);
      // the niced worker ends; its replacement runs at normal priority
      for (let i = 0; i < 100 && workerNiceness().includes(19); i++) await new Promise((r) => setTimeout(r, 20));
      expect(workerNiceness()).not.toContain(19);
      const next = await pool.run(slow, [rec(2)], 1, { recordTimeoutMs: 3000, batchTimeoutMs: 5000, maxOutputBytes: 1e6 });
      expect(next.results[0]).toBe(2);
    } finally {
      await pool.close();
    }
  });
});
