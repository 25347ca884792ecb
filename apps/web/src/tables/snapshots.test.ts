import { describe, expect, it } from "vitest";
import { offsetsText, outcomeLine, snapshotLine, snapshotPlace, type SnapshotSummary } from "./snapshots";

const now = Date.parse("2026-12-06T08:00:00Z");
const snap: SnapshotSummary = { id: "12", target: "postgres", filePath: null, offsets: { "1": 455, "0": 460 }, rowCount: 1_048, bytes: 1_234, takenBy: "schedule", takenAt: "2026-12-06T07:57:00Z" };

describe("the Table section's snapshots", () => {
  it("read as one line each: id, age, rows, size, who", () => {
    expect(snapshotLine(snap, now)).toBe("#12 · 3 min ago · 1,048 rows · 1.2 KB · on schedule");
    expect(snapshotLine({ ...snap, rowCount: 1, bytes: 20, takenBy: "ann" }, now)).toBe("#12 · 3 min ago · 1 row · 20 B · by ann");
  });

  it("say where their rows are and at which offsets", () => {
    expect(snapshotPlace(snap)).toBe("Postgres");
    expect(snapshotPlace({ ...snap, target: "file", filePath: "/data/snapshots/daily/t.jsonl" })).toBe("t.jsonl");
    expect(offsetsText(snap.offsets)).toBe("p0 @ 460, p1 @ 455");
  });

  it("after 'Snapshot now', say what was written and how much changelog it read", () => {
    const partitions = [
      { partition: 0, from: 400, offset: 460, changesRead: 60, fromSnapshot: { id: "11", rows: 40 } },
      { partition: 1, from: 400, offset: 455, changesRead: 55, fromSnapshot: { id: "11", rows: 38 } },
    ];
    expect(outcomeLine({ snapshot: snap, partitions, pruned: ["9"] })).toBe("Snapshot #12 written: 1,048 rows (continued from snapshot #11, 115 changelog changes read); 1 older deleted");
    expect(outcomeLine({ snapshot: { ...snap, rowCount: 2 }, partitions: [{ partition: 0, from: 0, offset: 1, changesRead: 1 }], pruned: [] })).toBe("Snapshot #12 written: 2 rows (1 changelog change read)");
  });
});
