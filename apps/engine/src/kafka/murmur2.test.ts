import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { bytes, prng, str } from "../../test-support/random-messages.js";
import { murmur2 } from "./murmur2.js";

const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require("kafkajs/src/producer/partitioners/default/murmur2.js") as (key: Buffer | string) => number;

describe("murmur2", () => {
  it("answers as kafkajs's (the Java client's hash) for random bytes and strings of every length", () => {
    const r = prng(11);
    for (let i = 0; i < 5000; i++) {
      const b = bytes(r, i % 70);
      expect(murmur2(b), b.toString("hex")).toBe(kafkajsMurmur2(b));
      const s = str(r, i % 90);
      expect(murmur2(s), s).toBe(kafkajsMurmur2(s));
    }
  });

  it("handles multi-byte characters, an empty key and keys longer than its scratch buffer", () => {
    for (const s of ["", "c-42", "ключ", "🔑🔑🔑", "é".repeat(3000), "x".repeat(10_000)]) expect(murmur2(s)).toBe(kafkajsMurmur2(s));
    // known values of Kafka's Java client (Utils.murmur2)
    expect(murmur2(Buffer.from("21"))).toBe(-973932308);
    expect(murmur2(Buffer.from("foobar"))).toBe(-790332482);
  });
});
