import { describe, expect, it } from "vitest";
import { changedKeys, formatValue, MAX_ROWS, moreLimit, PAGE_ROWS, rowsLine, rowsOfLookup, tableRequest } from "./tableView";

describe("table view", () => {
  it("an empty search browses every row; a prefix scans; a key is looked up exactly, as typed", () => {
    expect(tableRequest({ text: "", mode: "prefix" }, 50)).toEqual({ kind: "scan", limit: 50 });
    expect(tableRequest({ text: "", mode: "key" }, 50)).toEqual({ kind: "scan", limit: 50 });
    expect(tableRequest({ text: "cust-", mode: "prefix" }, 100)).toEqual({ kind: "scan", prefix: "cust-", limit: 100 });
    expect(tableRequest({ text: " c 1 ", mode: "key" }, 100)).toEqual({ kind: "get", key: " c 1 " });
  });

  it("never asks for more rows than the engine answers, nor fewer than one", () => {
    expect(tableRequest({ text: "", mode: "prefix" }, 5000)).toEqual({ kind: "scan", limit: MAX_ROWS });
    expect(tableRequest({ text: "", mode: "prefix" }, 0)).toEqual({ kind: "scan", limit: PAGE_ROWS });
    expect(tableRequest({ text: "", mode: "prefix" }, -3)).toEqual({ kind: "scan", limit: 1 });
  });

  it("show more adds a page up to the engine's most", () => {
    expect(moreLimit(PAGE_ROWS)).toBe(2 * PAGE_ROWS);
    expect(moreLimit(MAX_ROWS - 10)).toBe(MAX_ROWS);
    expect(moreLimit(MAX_ROWS)).toBeNull();
  });

  it("a lookup with no row gives no rows", () => {
    expect(rowsOfLookup({ key: "a", value: null })).toEqual([]);
    expect(rowsOfLookup({ key: "a", value: { n: 1 } })).toEqual([{ key: "a", value: { n: 1 } }]);
    expect(rowsOfLookup({ key: "a", value: 0 })).toEqual([{ key: "a", value: 0 }]);
  });

  it("values read on one line, cut when long, or indented", () => {
    expect(formatValue({ name: "Ada", tier: "gold" }, "compact")).toBe('{ "name": "Ada", "tier": "gold" }');
    expect(formatValue("text", "compact")).toBe('"text"');
    expect(formatValue({ a: "x".repeat(50) }, "compact", 20)).toBe('{ "a": "xxxxxxxxxxx…');
    expect(formatValue({ a: "x".repeat(50) }, "compact", 20)).toHaveLength(20);
    expect(formatValue({ name: "Ada", tags: [1, 2] }, "pretty")).toBe('{\n  "name": "Ada",\n  "tags": [1, 2]\n}');
  });

  it("the line under the rows says how many, whether there are more, and what matched", () => {
    expect(rowsLine(0, false, { text: "", mode: "prefix" })).toMatch(/empty/);
    expect(rowsLine(0, false, { text: "c-", mode: "prefix" })).toBe("No row starting with “c-”");
    expect(rowsLine(0, false, { text: "c-9", mode: "key" })).toBe("No row with key “c-9”");
    expect(rowsLine(1, false, { text: "", mode: "prefix" })).toBe("1 row");
    expect(rowsLine(3, false, { text: "c-", mode: "prefix" })).toBe("3 rows starting with “c-”");
    expect(rowsLine(50, true, { text: "", mode: "prefix" })).toBe("showing 50 of more");
    expect(rowsLine(50, true, { text: "c-", mode: "prefix" })).toBe("showing 50 of more starting with “c-”");
  });

  it("marks rows whose value changed or that are new, none on the first answer", () => {
    const before = [
      { key: "a", value: { n: 1 } },
      { key: "b", value: { n: 2 } },
    ];
    const after = [
      { key: "a", value: { n: 1 } },
      { key: "b", value: { n: 3 } },
      { key: "c", value: null },
    ];
    expect([...changedKeys(before, after)]).toEqual(["b", "c"]);
    expect(changedKeys(undefined, after).size).toBe(0);
    expect(changedKeys(after, after).size).toBe(0);
  });
});
