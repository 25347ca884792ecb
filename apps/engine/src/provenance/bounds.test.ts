import { describe, expect, it } from "vitest";
import type { ProvenancePartition } from "../db/provenance.js";
import { decidePartitions, provenanceBoundsFromEnv } from "./bounds.js";

const MB = 1024 * 1024;
const H = 3_600_000;
const part = (n: number, createdAt: number, mb: number, hasRows = mb > 0): ProvenancePartition => ({ part: n, createdAt, bytes: mb * MB, hasRows });

describe("provenance bounds from the environment", () => {
  it("defaults to 1 GB with the embedded database, 10 GB with an external one, 24 h", () => {
    expect(provenanceBoundsFromEnv({}, true)).toEqual({ maxBytes: 1024 * MB, retentionHours: 24 });
    expect(provenanceBoundsFromEnv({}, false)).toEqual({ maxBytes: 10 * 1024 * MB, retentionHours: 24 });
    expect(provenanceBoundsFromEnv({ MILLRACE_PROVENANCE_MAX_MB: "40", MILLRACE_PROVENANCE_RETENTION_HOURS: "0.5" }, true)).toEqual({ maxBytes: 40 * MB, retentionHours: 0.5 });
  });

  it("refuses a bound that is not a positive number, naming the variable", () => {
    expect(() => provenanceBoundsFromEnv({ MILLRACE_PROVENANCE_MAX_MB: "lots" }, true)).toThrow('MILLRACE_PROVENANCE_MAX_MB must be a positive number, got "lots"');
    expect(() => provenanceBoundsFromEnv({ MILLRACE_PROVENANCE_RETENTION_HOURS: "0" }, true)).toThrow("MILLRACE_PROVENANCE_RETENTION_HOURS must be a positive number");
  });
});

describe("which provenance partitions to start and drop", () => {
  const bounds = { maxBytes: 40 * MB, retentionHours: 24 };
  const now = 100 * H;

  it("starts a new partition once the current one holds a tenth of the size bound", () => {
    expect(decidePartitions([part(1, now - H, 3.9)], now, bounds).roll).toBe(false);
    expect(decidePartitions([part(1, now - H, 4)], now, bounds).roll).toBe(true);
  });

  it("starts a new partition after a twelfth of the retention, unless the current one is empty", () => {
    expect(decidePartitions([part(1, now - 2 * H, 0.1)], now, bounds).roll).toBe(true);
    expect(decidePartitions([part(1, now - 2 * H + 1000, 0.1)], now, bounds).roll).toBe(false);
    expect(decidePartitions([part(1, now - 5 * H, 0.1, false)], now, bounds).roll).toBe(false);
  });

  it("drops the oldest partitions beyond the size bound, never the current one", () => {
    const parts = [part(1, now - 5 * H, 15), part(2, now - 4 * H, 15), part(3, now - 3 * H, 15), part(4, now - H, 5)];
    expect(decidePartitions(parts, now, bounds).drop).toEqual([1]);
    expect(decidePartitions([part(1, now - 2 * H, 30), part(2, now - H, 50)], now, bounds).drop).toEqual([1]);
  });

  it("drops partitions whose every row is older than the retention, oldest first", () => {
    const parts = [part(1, now - 30 * H, 1), part(2, now - 26 * H, 1), part(3, now - 23 * H, 1), part(4, now - H, 1)];
    // 1 stopped taking rows 26 h ago, 2 stopped 23 h ago: only 1 is wholly past 24 h
    expect(decidePartitions(parts, now, bounds).drop).toEqual([1]);
  });

  it("does nothing without partitions", () => {
    expect(decidePartitions([], now, bounds)).toEqual({ roll: false, drop: [] });
  });
});
