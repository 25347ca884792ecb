import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "./sha256.js";

const ref = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

describe("sha256", () => {
  it("matches the FIPS 180 test vectors", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });
  it("matches node:crypto across padding boundaries and for non-ASCII text", () => {
    for (let n = 0; n < 200; n++) {
      const s = "x".repeat(n);
      expect(sha256Hex(s)).toBe(ref(s));
    }
    for (const s of ["€ünïcødé 🚰", "a".repeat(100_000), "\u0000\uffff"]) expect(sha256Hex(s)).toBe(ref(s));
  });
});
