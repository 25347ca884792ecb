import { describe, expect, it } from "vitest";
import { fmtBytes } from "./figures";

describe("fmtBytes", () => {
  it("B under a thousand, then KB, MB… with one decimal", () => {
    expect(fmtBytes(0)).toBe("0 B");
    expect(fmtBytes(999)).toBe("999 B");
    expect(fmtBytes(1500)).toBe("1.5 KB");
    expect(fmtBytes(2_345_678)).toBe("2.3 MB");
    expect(fmtBytes(7e9)).toBe("7.0 GB");
    expect(fmtBytes(undefined)).toBe("–");
  });
});
