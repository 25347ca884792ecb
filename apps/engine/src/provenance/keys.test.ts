import { describe, expect, it } from "vitest";
import { newRecordId } from "../runtime/records.js";
import { inputKey, inputKeys } from "./recorder.js";

describe("lookup keys of input ids", () => {
  it("engine-made ids share a key per 1,296 consecutive ids; ids of up to 9 characters are their own key", () => {
    const ids = Array.from({ length: 5000 }, () => newRecordId());
    const keys = inputKeys(ids);
    expect(new Set(ids.map(inputKey))).toEqual(new Set(keys));
    // 8-character prefix + base36 counter: the 36 one-digit counters are their own keys, then one key per
    // 36 (two digits) or 1,296 (three digits and more) consecutive ids
    expect(keys.length).toBeLessThanOrEqual(36 + 1 + Math.ceil(5000 / 1296) + 1);
    expect(inputKey("abc")).toBe("abc");
    expect(inputKey("012345678")).toBe("012345678");
    expect(inputKey("0123456789ab")).toBe("~0123456789");
  });

  it("distinct keys in order of first appearance, also when ids come back", () => {
    const a = "AAAAAAAAx01";
    const b = "BBBBBBBBx01";
    expect(inputKeys([a, "AAAAAAAAx02", b, "AAAAAAAAx03", "", "", "short", b])).toEqual(["~AAAAAAAAx", "~BBBBBBBBx", "", "short"]);
    expect(inputKeys([])).toEqual([]);
    // same length and body, but differing in the first characters: not the same key
    expect(inputKeys(["AAAAAAAAx01", "AAAAAAAAy01"])).toEqual(["~AAAAAAAAx", "~AAAAAAAAy"]);
  });
});
