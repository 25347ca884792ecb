import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TOMBSTONE_RETENTION_MS } from "../state/changelog.js";
import { PartitionStore, type StoreValue } from "../state/store.js";
import { loadSnapshotRows, SnapshotIncompleteError, snapshotStart, startFromSnapshot, type SnapshotRowPages, type SnapshotRowSource } from "./snapshot-start.js";

const now = Date.parse("2026-12-06T08:00:00Z");
const snapshot = { offsets: { "0": 100, "1": 40 }, offsetsAt: new Date(now - 60_000), partitionRows: { "0": 2, "1": 1 } };

describe("snapshotStart: whether a partition can start from a snapshot", () => {
  it("starts from the snapshot's offset when the changelog still holds everything after it", () => {
    expect(snapshotStart(snapshot, 0, { low: 0, high: 150 }, now)).toEqual({ offset: 100 });
    expect(snapshotStart(snapshot, 0, { low: 100, high: 100 }, now)).toEqual({ offset: 100 });
  });

  it("refuses, saying why, a partition it lacks, an offset outside the changelog, or one older than tombstones live", () => {
    expect(snapshotStart(snapshot, 2, { low: 0, high: 10 }, now)).toEqual({ refused: "it has no offset for partition 2" });
    expect(snapshotStart(snapshot, 1, { low: 41, high: 90 }, now)).toEqual({ refused: "its offset 40 is before the changelog's first (41): records after it were deleted" });
    expect(snapshotStart(snapshot, 0, { low: 0, high: 99 }, now)).toEqual({ refused: "its offset 100 is past the changelog's end (99): the changelog is not the one it was taken from" });
    // its age is that of its offsets: a fold that took long does not make it younger
    const old = { ...snapshot, offsetsAt: new Date(now - TOMBSTONE_RETENTION_MS), takenAt: new Date(now - 60_000) };
    expect(snapshotStart(old, 0, { low: 0, high: 150 }, now)).toEqual({ refused: "it is older than the changelog keeps deletions (24 h)" });
  });
});

describe("loading a snapshot into a store", () => {
  const dirs: string[] = [];
  const stores: PartitionStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  function store(): PartitionStore {
    const dir = mkdtempSync(join(tmpdir(), "mr-snapshot-start-"));
    dirs.push(dir);
    const s = PartitionStore.open({ directory: dir, maxBytes: 16 * 1024 * 1024, label: "t" });
    stores.push(s);
    return s;
  }
  /** pages of `rows` as the repository answers them (key order, after a key) */
  function pagesOf(rows: [string, StoreValue][]): SnapshotRowPages & { calls: number } {
    const sorted = [...rows].sort(([a], [b]) => (a < b ? -1 : 1));
    const f = async (after: string | undefined, limit: number) => {
      f.calls++;
      return sorted.filter(([k]) => after === undefined || k > after).slice(0, limit).map(([key, value]) => ({ key, value }));
    };
    f.calls = 0;
    return f;
  }
  const sourceOf = (pages: SnapshotRowPages): SnapshotRowSource => (load) => load(pages);

  it("writes every row, page after page, then the checkpoint at the snapshot's offset", async () => {
    const rows: [string, StoreValue][] = Array.from({ length: 4_500 }, (_, i) => [`k${String(i).padStart(5, "0")}`, { i }]);
    const s = store();
    const pages = pagesOf(rows);
    expect(await loadSnapshotRows(s, { id: "1", partitionRows: { "3": 4_500 } }, 3, sourceOf(pages), 777)).toBe(4_500);
    expect(pages.calls).toBe(3);
    expect(s.checkpoint()).toBe(777);
    expect(s.size().entries).toBe(4_500);
    expect(s.get("k04499")).toEqual({ i: 4499 });
  });

  it("empties the store first: rows a killed load left (no checkpoint) do not stay", async () => {
    const s = store();
    s.write([{ key: "left-over", value: 1 }, { key: "a", value: "old" }]);
    expect(await loadSnapshotRows(s, { id: "1", partitionRows: { "0": 1 } }, 0, sourceOf(pagesOf([["a", "new"]])), 5)).toBe(1);
    expect(s.scan({ limit: 10 })).toEqual([{ key: "a", value: "new" }]);
  });

  it("refuses rows fewer than the snapshot's count for the partition (pruned while read), leaving the store empty without a checkpoint", async () => {
    const s = store();
    // the first page, then nothing: the snapshot's rows were deleted meanwhile
    let calls = 0;
    const cut: SnapshotRowPages = async (after, limit) => (calls++ === 0 ? Array.from({ length: limit }, (_, i) => ({ key: `k${String(i).padStart(5, "0")}`, value: i })) : []);
    const loading = loadSnapshotRows(s, { id: "9", partitionRows: { "0": 4_500 } }, 0, sourceOf(cut), 100);
    await expect(loading).rejects.toThrow(SnapshotIncompleteError);
    await expect(loading).rejects.toThrow("snapshot 9 partition 0: read 2000 of its 4500 rows (deleted meanwhile?)");
    expect(s.size().entries).toBe(0);
    expect(s.checkpoint()).toBeUndefined();
  });

  it("startFromSnapshot loads a valid snapshot, names it, and logs why it skips an invalid one", async () => {
    const logs: string[] = [];
    const source = {
      latest: async () => ({ id: "7", ...snapshot, offsetsAt: new Date() }),
      rows: (_id: string, partition: number) => sourceOf(pagesOf(partition === 0 ? [["a", 1], ["b", 2]] : [["c", 3]])),
      changelogEnds: async (partition: number) => (partition === 0 ? { low: 0, high: 120 } : { low: 50, high: 60 }),
    };
    const start = startFromSnapshot(source, (m) => logs.push(m));
    const s0 = store();
    expect(await start(0, s0)).toBe("snapshot 7 (2 rows at changelog offset 100)");
    expect(s0.checkpoint()).toBe(100);
    const s1 = store();
    expect(await start(1, s1)).toBeUndefined();
    expect(s1.checkpoint()).toBeUndefined();
    expect(logs).toEqual(["table of partition 1: not starting from snapshot 7: its offset 40 is before the changelog's first (50): records after it were deleted"]);
  });
});
