import { describe, expect, it } from "vitest";
import { retentionConfigs } from "./topic-retention.js";

const MIB = 1024 * 1024;

describe("retentionConfigs", () => {
  it("shares the megabytes out over the partitions and cuts segments an eighth of each bound", () => {
    expect(retentionConfigs({ minutes: 60, mb: 256 }, 3)).toEqual({
      "cleanup.policy": "delete",
      "retention.ms": String(3_600_000),
      "retention.bytes": String(Math.floor((256 * MIB) / 3)),
      "segment.bytes": String(Math.floor((256 * MIB) / 3 / 8)),
      "segment.ms": String(450_000),
    });
  });

  it("a one-partition topic keeps its whole bound there", () => {
    const c = retentionConfigs({ minutes: 10_080, mb: 1024 }, 1);
    expect(c["retention.bytes"]).toBe(String(1024 * MIB));
    expect(c["segment.bytes"]).toBe(String(128 * MIB));
    expect(c["retention.ms"]).toBe(String(10_080 * 60_000));
  });

  it("keeps segments within what Kafka accepts: at least 1 MiB and a minute, at most 1 GiB", () => {
    const small = retentionConfigs({ minutes: 1, mb: 1 }, 12);
    expect(small["segment.bytes"]).toBe(String(MIB));
    expect(small["segment.ms"]).toBe("60000");
    expect(retentionConfigs({ minutes: 60, mb: 1_048_576 }, 1)["segment.bytes"]).toBe(String(1024 * MIB));
  });

  it("0 is no bound: Kafka's -1, so a bound set on the topic earlier is lifted", () => {
    // segments still close every 10 minutes or 50 MiB, so what the read-records purge deletes leaves the disk
    expect(retentionConfigs({ minutes: 1440, mb: 0 }, 3)).toEqual({ "cleanup.policy": "delete", "retention.ms": String(1440 * 60_000), "segment.ms": String(10 * 60_000), "retention.bytes": "-1", "segment.bytes": String(50 * MIB) });
    expect(retentionConfigs({ minutes: 0, mb: 0 }, 3)).toEqual({ "cleanup.policy": "delete", "retention.ms": "-1", "segment.ms": String(10 * 60_000), "retention.bytes": "-1", "segment.bytes": String(50 * MIB) });
  });
});
