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
