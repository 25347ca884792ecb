import { describe, expect, it } from "vitest";
import { decodeCheckpoint, encodeCheckpointKey, encodeCheckpointValue } from "./checkpoint-format.js";

describe("MirrorMaker 2 checkpoint records", () => {
  it("writes Kafka's STRING/INT32/INT64 layout, byte for byte", () => {
    const key = encodeCheckpointKey({ group: "g", topic: "t", partition: 2 });
    expect(key.toString("hex")).toBe("0001" + "67" + "0001" + "74" + "00000002");
    const value = encodeCheckpointValue({ upstreamOffset: 1000, downstreamOffset: 998, metadata: "" });
    expect(value.toString("hex")).toBe("0000" + "00000000000003e8" + "00000000000003e6" + "0000");
  });
  it("reads back what it writes, with non-ASCII names", () => {
    const c = { group: "grüppe", topic: "east.orders", partition: 7, upstreamOffset: 2 ** 40, downstreamOffset: 12, metadata: "m" };
    expect(decodeCheckpoint(encodeCheckpointKey(c), encodeCheckpointValue(c))).toEqual(c);
  });
  it("refuses a record that is not a version-0 checkpoint", () => {
    const key = encodeCheckpointKey({ group: "g", topic: "t", partition: 0 });
    const v = encodeCheckpointValue({ upstreamOffset: 1, downstreamOffset: 1, metadata: "" });
    v.writeInt16BE(1, 0);
    expect(() => decodeCheckpoint(key, v)).toThrow("checkpoint value version 1 is not 0");
    expect(() => decodeCheckpoint(Buffer.from("0009", "hex"), v)).toThrow();
  });
});
