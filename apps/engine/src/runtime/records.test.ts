import { describe, expect, it } from "vitest";
import { HEADER } from "@millrace/processors";
import { compileExpression } from "@millrace/processors";
import { decode, encode, rawValue, readValue, withLineage } from "./records.js";
import type { InMessage } from "../kafka/index.js";

const msg = (value: string | null, headers: InMessage["headers"] = { [HEADER.id]: Buffer.from("r1") }): InMessage => ({
  offset: "0",
  key: null,
  value: value === null ? null : Buffer.from(value),
  headers,
  timestamp: "0",
});

describe("records: decode and raw pass-through", () => {
  it("an unread object value goes out as the very bytes it came in", () => {
    const m = msg(' {"a": 1, "big": 12345678901234567890} ');
    const r = decode(m);
    expect(rawValue(r)).toBe(m.value);
    expect(encode(r).value).toBe(m.value);
    expect(r.headers[HEADER.id]).toBe("r1");
  });

  it("parses on first read; the same value object (pass-through or shared by a derived record) reuses the bytes", () => {
    const m = msg('{"a":{"b":[1,2]}}');
    const r = decode(m);
    expect(r.value).toEqual({ a: { b: [1, 2] } });
    expect(encode(r).value).toBe(m.value);
    const derived = { key: "k", value: r.value, headers: r.headers };
    expect(encode(derived).value).toBe(m.value);
    expect(encode(withLineage(derived, r)).value).toBe(m.value);
  });

  it("a new value object never inherits the bytes of the one it was made from", () => {
    const r = decode(msg('{"a":1,"b":[1]}'));
    const v = r.value as { a: number; b: number[] };
    expect(encode({ value: { ...v, a: 2 }, headers: r.headers }).value!.toString()).toBe('{"a":2,"b":[1]}');
    expect(encode({ value: Object.assign({}, v), headers: r.headers }).value!.toString()).toBe('{"a":1,"b":[1]}');
    expect(encode({ value: structuredClone(v), headers: r.headers }).value).not.toBe(msg('{"a":1,"b":[1]}').value);
    expect(Object.keys(v)).toEqual(["a", "b"]);
    expect(JSON.stringify(v)).toBe('{"a":1,"b":[1]}');
    // a nested object taken out of a value is encoded on its own
    expect(encode({ value: v.b, headers: r.headers }).value!.toString()).toBe("[1]");
  });

  it("a changed value is encoded afresh", () => {
    const r = decode(msg('{"a":1}'));
    const mapped = { value: { a: 2 }, headers: r.headers };
    expect(encode(mapped).value!.toString()).toBe('{"a":2}');
    r.value = { c: 3 };
    expect(encode(r).value!.toString()).toBe('{"c":3}');
  });

  it("non-JSON and scalar values keep their old meaning", () => {
    expect(decode(msg("hello")).value).toBe("hello");
    expect(decode(msg("{not json}")).value).toBe("{not json}");
    expect(decode(msg("42")).value).toBe(42);
    expect(decode(msg(null)).value).toBe(null);
    expect(encode(decode(msg("hello"))).value!.toString()).toBe('"hello"');
    expect(JSON.parse(JSON.stringify(decode(msg('{"x":1}'))))).toMatchObject({ value: { x: 1 } });
    expect({ ...decode(msg('{"x":1}')) }).toMatchObject({ value: { x: 1 } });
    // a record without a lineage id gets one
    expect(decode(msg('{"x":1}', {})).headers[HEADER.id]).toBeTruthy();
  });

  it("carries the Kafka timestamp: decoded, inherited by a derived record (Outgoing.add writes it back per topic)", () => {
    const r = decode({ ...msg('{"a":1}'), timestamp: "1733461200000" });
    expect(r.timestamp).toBe(1_733_461_200_000);
    // a derived record (set-key's) keeps its parent's event time, unless it has its own
    const rekeyed = withLineage({ key: "k", value: r.value, headers: r.headers }, r);
    expect(rekeyed.timestamp).toBe(1_733_461_200_000);
    expect(withLineage({ value: 1, headers: {}, timestamp: 5 }, r).timestamp).toBe(5);
    expect(withLineage(r, r)).toBe(r);
    // created at a source: none, so the producer stamps the time of sending
    const created = withLineage({ value: 1, headers: {} }, undefined);
    expect(created.timestamp).toBeUndefined();
    expect(encode(created).timestamp).toBeUndefined();
    // Kafka's -1 (no timestamp) is none
    expect(decode({ ...msg("1"), timestamp: "-1" }).timestamp).toBeUndefined();
  });

  it("keeps a value no node reads as its bytes: written on unchanged, parsed only when shown", () => {
    const bytes = Buffer.from('{"b":2,  "a":1}');
    const r = decode({ ...msg("x"), value: bytes }, true);
    expect(encode(r).value).toBe(bytes);
    expect(readValue(r.value)).toEqual({ b: 2, a: 1 });
    // not JSON: the same bytes go on (a parsed text would have been written JSON-quoted)
    const text = decode({ ...msg("x"), value: Buffer.from("plain text") }, true);
    expect(encode(text).value!.toString()).toBe("plain text");
    expect(decode({ ...msg("x"), value: null }, true).value).toBeNull();
  });

  it("a lazy record looks like a plain one to JSONata (own property)", async () => {
    const r = decode(msg('{"amount":4,"ts":1}'));
    expect(Object.prototype.hasOwnProperty.call(r, "value")).toBe(true);
    expect(await compileExpression("value.amount % 2 = 0").evaluate(r)).toBe(true);
    expect(await compileExpression("$sum(value.amount)").evaluateRecord(decode(msg('{"amount":4}')))).toBe(4);
  });
});
