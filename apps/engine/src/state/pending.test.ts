import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PendingChanges } from "./pending.js";
import { PartitionStore, type StoreValue } from "./store.js";

describe("PendingChanges", () => {
  let dir: string;
  let store: PartitionStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mr-pending-"));
    store = PartitionStore.open({ directory: dir, maxBytes: 16 * 1024 * 1024, label: "f/n/1" });
    store.write([{ key: "a", value: 1 }, { key: "b", value: 2 }], 10);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads its own changes first and leaves the store untouched until commit", () => {
    const batch = new PendingChanges(store);
    batch.put("a", 5);
    batch.delete("b");
    batch.put("c", { x: 1 });
    expect(batch.get("a")).toBe(5);
    expect(batch.get("b")).toBeUndefined();
    expect(batch.get("c")).toEqual({ x: 1 });
    expect(store.get("a")).toBe(1);
    expect(store.get("b")).toBe(2);
    expect(store.checkpoint()).toBe(10);
  });

  it("gives one change per key, the last, in first-change order, and commits them with the checkpoint", () => {
    const batch = new PendingChanges(store);
    batch.put("a", 5);
    batch.put("c", 1);
    batch.put("a", 6);
    batch.delete("c");
    batch.put("b", 3);
    const changes = batch.changes();
    expect(changes).toEqual([
      { key: "a", value: 6 },
      { key: "c", value: null },
      { key: "b", value: 3 },
    ]);
    batch.commit(changes, 13);
    expect(batch.size).toBe(0);
    expect(store.get("a")).toBe(6);
    expect(store.get("c")).toBeUndefined();
    expect(store.checkpoint()).toBe(13);
    batch.put("a", 7);
    batch.commit(batch.changes(), undefined);
    expect(store.get("a")).toBe(7);
    expect(store.checkpoint()).toBe(13);
  });

  it("discards an aborted batch", () => {
    const batch = new PendingChanges(store);
    batch.put("a", 99);
    batch.discard();
    expect(batch.get("a")).toBe(1);
    expect(batch.changes()).toEqual([]);
  });

  it("refuses at once what the store could not hold, naming the key", () => {
    const batch = new PendingChanges(store);
    expect(() => batch.put("x\u0000", 1)).toThrow(/f\/n\/1: key .* \\u0000/);
    expect(() => batch.put("k", null as unknown as StoreValue)).toThrow(/"k" gets no value \(use delete\)/);
    expect(() => batch.delete("")).toThrow(/not a non-empty string/);
    expect(batch.size).toBe(0);
  });
});
