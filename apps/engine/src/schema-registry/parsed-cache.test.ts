import avro from "avsc";
import { describe, expect, it } from "vitest";
import { PARSED_BYTES_PER_TEXT_BYTE, ParsedSchemaCache } from "./parsed-cache.js";

const type = avro.Type.forSchema("int");

describe("the parsed schema cache", () => {
  it("is bounded by the estimated memory of what it holds, dropping the least recently used first", () => {
    const cache = new ParsedSchemaCache(100 * PARSED_BYTES_PER_TEXT_BYTE);
    cache.set(1, type, 40);
    cache.set(2, type, 40);
    expect(cache.get(1)).toBe(type);
    cache.set(3, type, 40);
    expect([cache.get(1), cache.get(2), cache.get(3)]).toEqual([type, undefined, type]);
    expect(cache.bytes).toBe(80 * PARSED_BYTES_PER_TEXT_BYTE);
    // one large schema pushes out several small ones
    cache.set(4, type, 90);
    expect([cache.get(1), cache.get(3), cache.get(4)]).toEqual([undefined, undefined, type]);
    expect(cache.size).toBe(1);
  });

  it("does not keep a schema larger than the whole budget, nor count one twice", () => {
    const cache = new ParsedSchemaCache(100 * PARSED_BYTES_PER_TEXT_BYTE);
    cache.set(1, type, 101);
    expect(cache.get(1)).toBeUndefined();
    cache.set(2, type, 30);
    cache.set(2, type, 30);
    expect(cache.bytes).toBe(30 * PARSED_BYTES_PER_TEXT_BYTE);
  });
});
