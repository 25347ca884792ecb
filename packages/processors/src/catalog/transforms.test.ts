import { describe, expect, it } from "vitest";
import { runProcessor } from "../../test-support/harness.js";
import { HEADER, type MRecord } from "../sdk.js";

const rec = (value: unknown, key?: string, headers: Record<string, string> = {}): MRecord => ({ key, value, headers });
const values = (rs: MRecord[]) => rs.map((r) => r.value);
const reasons = (rs: MRecord[]) => rs.map((r) => r.headers[HEADER.error]);

describe("filter", () => {
  it("keeps true, drops false, sends errors to failure with the reason and node", async () => {
    const { ports } = await runProcessor("filter", { expression: "value.n > 1" }, [rec({ n: 1 }), rec({ n: 2 }), rec({ n: "x" }), rec({ m: 1 })], { nodeId: "f1" });
    expect(Object.keys(ports)).toEqual(["success", "failure"]);
    expect(values(ports.success)).toEqual([{ n: 2 }]);
    expect(values(ports.failure)).toEqual([{ n: "x" }]);
    expect(reasons(ports.failure)[0]).toMatch(/same data type/);
    expect(ports.failure[0].headers[HEADER.errorNode]).toBe("f1");
  });
  it("sees key and headers; stamps lineage ids", async () => {
    const input = rec(1, "k1", { [HEADER.id]: "in-1", country: "NL" });
    const { ports } = await runProcessor("filter", { expression: 'key = "k1" and headers.country = "NL"' }, [input, rec(2, "k2", { country: "NL" })]);
    expect(ports.success).toHaveLength(1);
    expect(ports.success[0].headers[HEADER.parents]).toBe("in-1");
    expect(ports.success[0].headers[HEADER.id]).toBeTruthy();
    expect(ports.success[0].headers[HEADER.id]).not.toBe("in-1");
    expect(input.headers[HEADER.parents]).toBeUndefined(); // the input was not mutated
  });
  it("throws a ConfigError for a bad config", async () => {
    await expect(runProcessor("filter", { expression: "(" }, [])).rejects.toThrow(/invalid config for filter: .*expression/s);
  });
});

describe("map", () => {
  it("replaces the value, keeps key and headers", async () => {
    const { ports } = await runProcessor("map", { expression: '{ "id": value.id, "total": value.p * value.q }' }, [rec({ id: 1, p: 2, q: 3 }, "k", { h: "v" })]);
    expect(ports.success[0]).toMatchObject({ key: "k", value: { id: 1, total: 6 }, headers: { h: "v" } });
  });
  it("no result or an error → failure", async () => {
    const { ports } = await runProcessor("map", { expression: "value.missing" }, [rec({ a: 1 }), rec(null)]);
    expect(ports.success).toHaveLength(0);
    expect(reasons(ports.failure)).toEqual(["expression produced no value", "expression produced no value"]);
    const r2 = await runProcessor("map", { expression: "$number(value)" }, [rec("abc"), rec("12")]);
    expect(values(r2.ports.success)).toEqual([12]);
    expect(reasons(r2.ports.failure)[0]).toMatch(/expression failed/);
  });
  it("null is a value", async () => {
    const { ports } = await runProcessor("map", { expression: "null" }, [rec(1)]);
    expect(values(ports.success)).toEqual([null]);
  });
});

describe("flat-map", () => {
  it("emits one record per element with the parent as lineage", async () => {
    const parent = rec({ items: [{ s: "a" }, { s: "b" }, { s: "c" }] }, "k", { [HEADER.id]: "p1" });
    const { ports } = await runProcessor("flat-map", { expression: "value.items" }, [parent, rec({ items: [] })]);
    expect(values(ports.success)).toEqual([{ s: "a" }, { s: "b" }, { s: "c" }]);
    expect(ports.success.map((r) => r.key)).toEqual(["k", "k", "k"]);
    expect(ports.success.map((r) => r.headers[HEADER.parents])).toEqual(["p1", "p1", "p1"]);
    expect(new Set(ports.success.map((r) => r.headers[HEADER.id])).size).toBe(3);
  });
  it("non-array → failure", async () => {
    const { ports } = await runProcessor("flat-map", { expression: "value.items" }, [rec({ items: 3 }), rec({}), rec({ items: "x" })]);
    expect(ports.success).toHaveLength(0);
    expect(reasons(ports.failure)).toEqual([
      "expression did not produce an array (got number)",
      "expression did not produce an array (got no result)",
      "expression did not produce an array (got string)",
    ]);
  });
});

describe("route", () => {
  const config = {
    routes: [
      { name: "big", expression: "value.n >= 100" },
      { name: "even", expression: "value.n % 2 = 0" },
    ],
  };
  it("first match wins; unmatched; failure", async () => {
    const { ports } = await runProcessor("route", config, [rec({ n: 200 }), rec({ n: 4 }), rec({ n: 3 }), rec({ n: "x" })]);
    expect(Object.keys(ports)).toEqual(["big", "even", "unmatched", "failure"]);
    expect(values(ports.big)).toEqual([{ n: 200 }]); // 200 is even too: the first route wins
    expect(values(ports.even)).toEqual([{ n: 4 }]);
    expect(values(ports.unmatched)).toEqual([{ n: 3 }]);
    expect(reasons(ports.failure)[0]).toMatch(/^route 'big': expression failed/);
  });
  it("routes on who sent a record (headers.\"mr.principal\" and headers.\"mr.auth\")", async () => {
    const by = (principal: string, auth: string) => rec({ principal }, undefined, { [HEADER.principal]: principal, [HEADER.auth]: auth });
    const routes = [
      { name: "alice", expression: 'headers."mr.principal" = "alice"' },
      { name: "signed", expression: 'headers."mr.auth" in ["hmac", "api-key"]' },
    ];
    const { ports } = await runProcessor("route", { routes }, [by("alice", "token"), by("billing", "hmac"), by("anonymous", "none"), rec({ principal: null })]);
    expect(values(ports.alice)).toEqual([{ principal: "alice" }]);
    expect(values(ports.signed)).toEqual([{ principal: "billing" }]);
    expect(values(ports.unmatched)).toEqual([{ principal: "anonymous" }, { principal: null }]);
  });
});

describe("set-headers", () => {
  it("sets, stringifies, removes on null, keeps on no result", async () => {
    const { ports } = await runProcessor(
      "set-headers",
      { headers: { country: "value.country", n: "value.n", obj: "value.o", gone: "null", kept: "value.missing" } },
      [rec({ country: "NL", n: 3, o: { a: 1 } }, "k", { gone: "x", kept: "y" })],
    );
    expect(ports.success[0].headers).toMatchObject({ country: "NL", n: "3", obj: '{"a":1}', kept: "y" });
    expect(ports.success[0].headers.gone).toBeUndefined();
    expect(ports.success[0].value).toEqual({ country: "NL", n: 3, o: { a: 1 } });
  });
  it("a failing expression → failure naming the header, headers untouched", async () => {
    const { ports } = await runProcessor("set-headers", { headers: { a: '"x"', b: "$number(value)" } }, [rec("zz", undefined, { q: "1" })]);
    expect(ports.success).toHaveLength(0);
    expect(reasons(ports.failure)[0]).toMatch(/^header 'b': expression failed/);
    expect(ports.failure[0].headers.a).toBeUndefined();
  });
});

describe("set-key", () => {
  it("sets the key from the expression; null removes it", async () => {
    const { ports } = await runProcessor("set-key", { expression: "value.id" }, [rec({ id: 7 }), rec({ id: "a" }, "old"), rec({ id: null }, "old"), rec({ id: { x: 1 } })]);
    expect(ports.success.map((r) => r.key)).toEqual(["7", "a", undefined, '{"x":1}']);
  });
  it("no result → failure", async () => {
    const { ports } = await runProcessor("set-key", { expression: "value.id" }, [rec({})]);
    expect(reasons(ports.failure)).toEqual(["expression produced no key"]);
  });
});

describe("kafka-sink", () => {
  it("computes the key and emits to success", async () => {
    const { ports } = await runProcessor("kafka-sink", { topic: "out", keyExpression: "value.c" }, [rec({ c: "u1" }, "old"), rec({ c: 2 })]);
    expect(ports.success.map((r) => r.key)).toEqual(["u1", "2"]);
  });
  it("keeps the key without keyExpression; key errors → failure", async () => {
    const a = await runProcessor("kafka-sink", { topic: "out" }, [rec(1, "k")]);
    expect(a.ports.success[0].key).toBe("k");
    const b = await runProcessor("kafka-sink", { topic: "out", keyExpression: "$number(value)" }, [rec("x")]);
    expect(reasons(b.ports.failure)[0]).toMatch(/^key: expression failed/);
  });
});

describe("kafka-source", () => {
  it("passes records through to success", async () => {
    const { ports } = await runProcessor("kafka-source", { topic: "in" }, [rec(1, "a"), rec(2)]);
    expect(values(ports.success)).toEqual([1, 2]);
  });
});

describe("log", () => {
  it("has no outputs and keeps nothing; print writes to the engine log", async () => {
    const a = await runProcessor("log", {}, [rec(1)]);
    expect(a.ports).toEqual({});
    expect(a.logs).toEqual([]);
    const b = await runProcessor("log", { print: true, level: "warn" }, [rec({ a: 1 }, "k")]);
    expect(b.logs).toEqual([{ nodeId: "log", level: "warn", msg: expect.stringContaining('"value":{"a":1}') }]);
  });
});
