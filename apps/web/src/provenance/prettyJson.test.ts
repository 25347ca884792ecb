import { describe, expect, it } from "vitest";
import { prettyJson } from "./prettyJson";
import { mergeRecords } from "../components/TapPanel";

describe("prettyJson", () => {
  it("keeps short nested values on one line and the top level indented", () => {
    expect(prettyJson({ id: 1, run: "x", items: [1, 2, 3], customer: { name: "c5", tier: "gold" } })).toBe(
      '{\n  "id": 1,\n  "run": "x",\n  "items": [1, 2, 3],\n  "customer": { "name": "c5", "tier": "gold" }\n}',
    );
  });
  it("breaks long nested values, and prints scalars as JSON", () => {
    const long = { a: "x".repeat(80), b: [1] };
    expect(prettyJson({ long })).toBe(`{\n  "long": {\n    "a": "${"x".repeat(80)}",\n    "b": [1]\n  }\n}`);
    expect(prettyJson("text")).toBe('"text"');
    expect(prettyJson(null)).toBe("null");
    expect(prettyJson(undefined)).toBe("null");
    expect(prettyJson([])).toBe("[]");
    // same content as JSON.stringify
    const v = { a: [{ b: 1 }, { c: [true, null] }], d: "é\n" };
    expect(JSON.parse(prettyJson(v))).toEqual(v);
  });
});

describe("mergeRecords", () => {
  const r = (partition: number, offset: string, timestamp: number) => ({ key: null, value: null, headers: {}, via: "kafka" as const, topic: "t", partition, offset, timestamp });
  it("keeps newest first, drops records already shown, bounds the list", () => {
    let list = mergeRecords([], [r(0, "1", 10), r(1, "1", 20)]);
    expect(list.map((x) => x.timestamp)).toEqual([20, 10]);
    list = mergeRecords(list, [r(0, "1", 10), r(0, "2", 30)]);
    expect(list.map((x) => `${x.partition}@${x.offset}`)).toEqual(["0@2", "1@1", "0@1"]);
    expect(mergeRecords(list, [r(2, "9", 40)], 2).map((x) => x.offset)).toEqual(["9", "2"]);
    expect(mergeRecords(list, [r(0, "1", 10)])).toBe(list);
  });
  it("tells fused records (no topic, no offset) apart by their lineage id", () => {
    const f = (id: string, timestamp: number) => ({ key: null, value: null, headers: { "mr.id": id }, via: "fused" as const, topic: null, partition: null, offset: null, timestamp });
    const list = mergeRecords([], [f("a", 10), f("b", 10), f("a", 10)]);
    expect(list.map((x) => x.headers["mr.id"]).sort()).toEqual(["a", "b"]);
  });
});
