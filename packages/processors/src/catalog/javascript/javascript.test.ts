import { describe, expect, it } from "vitest";
import { runProcessor } from "../../../test-support/harness.js";
import { HEADER, type MRecord } from "../../sdk.js";

const rec = (value: unknown, key?: string, headers: Record<string, string> = {}): MRecord => ({ key, value, headers });
const js = (code: string, records: MRecord[], extra: object = {}) => runProcessor("javascript", { code, ...extra }, records);
const reasons = (rs: MRecord[]) => rs.map((r) => r.headers[HEADER.error]);

describe("javascript", () => {
  it("returns the new value; sees value, key, headers", async () => {
    const { ports } = await js("return { ...value, total: value.p * value.q, k: key, h: headers.h };", [rec({ p: 2, q: 5 }, "kk", { h: "v" })]);
    expect(ports.success[0]).toMatchObject({ key: "kk", value: { p: 2, q: 5, total: 10, k: "kk", h: "v" }, headers: { h: "v" } });
  });
  it("null/undefined drops; arrays fan out; record form sets key and headers", async () => {
    const { ports } = await js(
      `if (value === 0) return null;
       if (value === 1) return;
       if (value === 2) return [10, null, { value: 11, key: "k11" }];
       if (value === 3) return { value: 3, key: null, headers: { a: "x", drop: null, "mr.id": "forged", n: 5 } };
       return { value: [1, 2] };`,
      [rec(0), rec(1), rec(2, "k"), rec(3, "k", { drop: "y" }), rec(4)],
    );
    expect(ports.success.map((r) => [r.value, r.key])).toEqual([[10, "k"], [11, "k11"], [3, undefined], [[1, 2], undefined]]);
    const h3 = ports.success[2].headers;
    expect(h3).toMatchObject({ a: "x", n: "5" });
    expect(h3.drop).toBeUndefined();
    expect(h3[HEADER.id]).not.toBe("forged");
    expect(ports.success[0].headers[HEADER.parents]).toBe(ports.success[1].headers[HEADER.parents]);
  });
  it("a thrown error → failure with the message; other records unaffected", async () => {
    const { ports } = await js("if (value.bad) throw new Error('nope ' + value.bad); return value.x;", [rec({ x: 1 }), rec({ bad: 7 }), rec({ x: 3 })]);
    expect(ports.success.map((r) => r.value)).toEqual([1, 3]);
    expect(reasons(ports.failure)).toEqual(["Error: nope 7"]);
  });
  it("has no require, process, fetch or import", async () => {
    const { ports } = await js(
      `if (value === 'require') return require('fs');
       if (value === 'process') return process.env;
       if (value === 'fetch') return fetch('http://127.0.0.1');
       return typeof globalThis.process + typeof globalThis.require + typeof globalThis.fetch + typeof setTimeout;`,
      [rec("require"), rec("process"), rec("fetch"), rec("typeof")],
    );
    expect(reasons(ports.failure)).toEqual([
      expect.stringMatching(/ReferenceError: .*require/),
      expect.stringMatching(/ReferenceError: .*process/),
      expect.stringMatching(/ReferenceError: .*fetch/),
    ]);
    expect(ports.success[0].value).toBe("undefinedundefinedundefinedundefined");
  });
  it("an endless loop goes to failure within 1 s and the rest of the batch still runs", async () => {
    const code = "if (value.loop) { while (true) {} } return value.x;";
    await js(code, [rec({ x: 0 })], { timeLimitMs: 500 }); // a worker started, the code compiled
    const t = Date.now();
    const { ports } = await js(code, [rec({ x: 1 }), rec({ loop: true }), rec({ x: 2 })], { timeLimitMs: 500 });
    expect(Date.now() - t).toBeLessThan(1000);
    expect(ports.success.map((r) => r.value)).toEqual([1, 2]);
    expect(reasons(ports.failure)[0]).toMatch(/used more than 500 ms/);
  });
  it("a memory bomb → failure, and the sandbox keeps working", async () => {
    const t = Date.now();
    const { ports } = await js(
      `if (value === 1) return new Uint8Array(100e6).length;
       if (value === 2) return 'x'.repeat(50e6).length;
       if (value === 3) { const a = []; while (true) a.push({ n: a.length, s: 'abc' + a.length }); }
       return value;`,
      [rec(1), rec(2), rec(3), rec(5)],
      { memoryLimitMb: 8 },
    );
    expect(reasons(ports.failure)).toEqual([
      "out of memory (limit 8 MB)",
      "out of memory (limit 8 MB)",
      // a slow, growing bomb ends either way: out of memory or the time limit
      expect.stringMatching(/out of memory|used more than 500 ms/),
    ]);
    expect(ports.success.map((r) => r.value)).toEqual([5]);
    // ended, not hung (generous: the machine running the tests may be loaded)
    expect(Date.now() - t).toBeLessThan(20_000);
  });
  it("deep recursion and non-JSON results → failure", async () => {
    const { ports } = await js(
      "if (value === 1) { const f = (n) => f(n + 1); return f(0); } if (value === 2) { const o = {}; o.o = o; return o; } if (value === 3) return Promise.resolve(1); return 'ok';",
      [rec(1), rec(2), rec(3), rec(4)],
    );
    expect(reasons(ports.failure)).toEqual([expect.stringMatching(/stack overflow/), expect.stringMatching(/not JSON/), expect.stringMatching(/async code is not supported/)]);
    expect(ports.success.map((r) => r.value)).toEqual(["ok"]);
  });
  it("the batch time limit fails the records it could not run", async () => {
    const { ports } = await js("const t = Date.now(); while (Date.now() - t < 40) {} return value;", [rec(1), rec(2), rec(3), rec(4), rec(5)], { batchTimeLimitMs: 100, timeLimitMs: 1000 });
    // how many run before the limit depends on the machine's load; never all of them
    expect(ports.success.length).toBeLessThan(5);
    expect(reasons(ports.failure).some((r) => /batch used its time limit/.test(r))).toBe(true);
    expect(ports.success.length + ports.failure.length).toBe(5);
  });
  it("a syntax error fails create() with the reason", async () => {
    await expect(js("return (", [])).rejects.toThrow(/does not compile: SyntaxError/);
  });
  it("console goes to the engine log", async () => {
    const r = await js("console.log('seen', value); return value;", [rec({ a: 1 })]);
    expect(r.logs).toEqual([{ nodeId: "javascript", level: "info", msg: 'javascript: seen {"a":1}' }]);
  });
  it("handles a large batch", async () => {
    const recs = Array.from({ length: 5000 }, (_, i) => rec({ i }));
    const t = Date.now();
    const { ports } = await js("return value.i % 2 ? null : value.i;", recs);
    expect(ports.success).toHaveLength(2500);
    expect(Date.now() - t).toBeLessThan(3000);
  });
});
