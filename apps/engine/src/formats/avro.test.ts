import { describe, expect, it } from "vitest";
import { AvroCodec } from "./avro.js";

/** Avro's zig-zag varint of a long. */
function varLong(n: number): Buffer {
  let z = BigInt(n) >= 0n ? BigInt(n) << 1n : (-BigInt(n) << 1n) - 1n;
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number((z & 0x7fn) | 0x80n));
    z >>= 7n;
  }
  out.push(Number(z));
  return Buffer.from(out);
}

describe("AvroCodec on hostile bytes", () => {
  it("refuses an array count the message cannot hold instead of allocating it", () => {
    const codec = new AvroCodec({ type: "record", name: "R", fields: [{ name: "xs", type: { type: "array", items: "int" } }] });
    const started = Date.now();
    expect(() => codec.decode(varLong(4_000_000_000))).toThrow("invalid block count");
    expect(Date.now() - started).toBeLessThan(1_000);
  });
  it("bounds arrays of items that take no bytes", () => {
    const codec = new AvroCodec({ type: "record", name: "R", fields: [{ name: "xs", type: { type: "array", items: "null" } }] });
    expect(() => codec.decode(varLong(50_000_000))).toThrow("invalid block count");
    expect(codec.decode(Buffer.concat([varLong(3), varLong(0)]))).toEqual({ xs: [null, null, null] });
  });
  it("refuses a map count beyond the bytes left", () => {
    const codec = new AvroCodec({ type: "record", name: "R", fields: [{ name: "m", type: { type: "map", values: "int" } }] });
    expect(() => codec.decode(varLong(1_000_000_000))).toThrow("invalid block count");
  });
});

describe("AvroCodec encoding", () => {
  const codec = new AvroCodec({ type: "record", name: "R", fields: [{ name: "s", type: "string" }, { name: "n", type: "long" }] });
  it("leaves the asked prefix free before the body, for values of every size (beyond its scratch buffer too)", () => {
    for (const length of [0, 10, 70_000, 300_000, 2_000_000]) {
      const value = { s: "x".repeat(length), n: length };
      const plain = codec.encode(value);
      const prefixed = codec.encode(value, "value", 5);
      expect(prefixed.length).toBe(plain.length + 5);
      expect(prefixed.subarray(5).equals(plain)).toBe(true);
      expect(codec.decode(plain)).toEqual(value);
    }
  });
  it("still names the field that does not fit", () => {
    expect(() => codec.encode({ s: "a", n: "x" }, "value", 5)).toThrow('value.n: "x" is not a long');
  });
});
