import { describe, expect, it } from "vitest";
import type { InMessage } from "../kafka/index.js";
import { SNAPSHOT_START_WINDOW_MS } from "@millrace/processors/catalog/table/spec";
import { changelogCheckpoint, changelogMessages, changelogTopicName, changelogTopicSpec, decodeChange, TOMBSTONE_RETENTION_MS } from "./changelog.js";

function record(key: string | null, value: string | null, offset = "7"): InMessage {
  return { offset, key: key === null ? null : Buffer.from(key), value: value === null ? null : Buffer.from(value), headers: {}, timestamp: "0" };
}

const where = { topic: "mr.f.n.changelog", partition: 2 };

describe("changelog", () => {
  it("names the node's compacted changelog topic with the input topic's partitions", () => {
    expect(changelogTopicName("orders", "count")).toBe("mr.orders.count.changelog");
    expect(changelogTopicName("my flow", "n")).toMatch(/^mr\.my_flow-[0-9a-f]{8}\.n\.changelog$/);
    const spec = changelogTopicSpec("orders", "count", 6, 3);
    expect(spec).toMatchObject({ topic: "mr.orders.count.changelog", partitions: 6, replicationFactor: 3 });
    expect(spec.configs?.["cleanup.policy"]).toBe("compact");
    // tombstones live as long as a snapshot may be started from
    expect(spec.configs).toEqual({ "cleanup.policy": "compact", "min.compaction.lag.ms": "0", "segment.ms": "600000", "delete.retention.ms": String(24 * 3_600_000) });
    expect(TOMBSTONE_RETENTION_MS).toBe(SNAPSHOT_START_WINDOW_MS);
    expect(changelogTopicSpec("orders", "count", 1)).not.toHaveProperty("replicationFactor");
    expect(() => changelogTopicSpec("orders", "count", 0)).toThrow(/node count \(flow orders\).*> 0, got 0/);
  });

  it("turns a batch's changes into records for the store's partition, deletions as tombstones", () => {
    const out = changelogMessages(
      [
        { key: "a", value: { n: 1 } },
        { key: "b", value: null },
        { key: "c", value: "x" },
      ],
      4,
    );
    expect(out).toEqual([
      { key: "a", value: '{"n":1}', partition: 4 },
      { key: "b", value: null, partition: 4 },
      { key: "c", value: '"x"', partition: 4 },
    ]);
  });

  it("reads back what it writes", () => {
    const changes = [
      { key: "k1", value: [1, "two", { three: 3 }] },
      { key: "k2", value: null },
      { key: "ключ", value: 0 },
    ];
    const back = changelogMessages(changes, 0).map((m, i) => decodeChange(record(m.key as string, m.value as string | null, String(i)), where));
    expect(back).toEqual(changes);
  });

  it("names the record it cannot read", () => {
    expect(() => decodeChange(record(null, "1"), where)).toThrow(/mr\.f\.n\.changelog partition 2 offset 7: a record without a key/);
    expect(() => decodeChange(record("k", "{nope"), where)).toThrow(/partition 2 offset 7 \(key "k"\): the value is not JSON/);
  });

  it("puts the checkpoint after the batch's last changelog record, or nowhere when an offset is unknown", () => {
    const at = (offsets: number[]) => ({ partitions: new Int32Array(offsets.length), offsets: Float64Array.from(offsets) });
    const positions = new Map([
      ["cl", at([40, 41, 42])],
      ["out", at([900])],
      ["partly", at([7, -1])],
      ["none", at([])],
    ]);
    expect(changelogCheckpoint(positions, "cl")).toBe(43);
    expect(changelogCheckpoint(positions, "partly")).toBeUndefined();
    expect(changelogCheckpoint(positions, "none")).toBeUndefined();
    expect(changelogCheckpoint(positions, "missing")).toBeUndefined();
    expect(changelogCheckpoint(undefined, "cl")).toBeUndefined();
  });
});
