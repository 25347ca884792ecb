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

  it("reads through the previous batch while it is still on its way, and commits only after it", () => {
    const first = new PendingChanges(store);
    first.put("a", 5);
    first.delete("b");
    const second = new PendingChanges(store, first);
    expect(second.get("a")).toBe(5);
    expect(second.get("b")).toBeUndefined();
    second.put("a", 6);
    expect(() => second.commit(12)).toThrow("a batch committed before the batch it read through");
    first.commit(11);
    expect(second.get("b")).toBeUndefined(); // now from the store
    second.commit(12);
    expect(store.get("a")).toBe(6);
    expect(store.checkpoint()).toBe(12);
  });

  it("a batch reset goes on reading through the previous one; a discarded one hands its place back", () => {
    const first = new PendingChanges(store);
    first.put("a", 5);
    const second = new PendingChanges(store, first);
    second.put("a", 9);
    second.reset();
    expect(second.get("a")).toBe(5);
    expect(second.pendingBefore).toBe(first);
    second.discard();
    expect(second.open).toBe(false);
    expect(first.open).toBe(true);
    first.discard();
    expect(new PendingChanges(store).get("a")).toBe(1);
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
    expect(batch.changelogMessages(4)).toEqual([
      { key: "a", value: "6", partition: 4 },
      { key: "c", value: null, partition: 4 },
      { key: "b", value: "3", partition: 4 },
    ]);
    batch.commit(13);
    expect(batch.size).toBe(0);
    expect(store.get("a")).toBe(6);
    expect(store.get("c")).toBeUndefined();
    expect(store.checkpoint()).toBe(13);
    batch.put("a", 7);
    batch.commit(undefined);
    expect(store.get("a")).toBe(7);
    expect(store.checkpoint()).toBe(13);
  });

  it("discards an aborted batch", () => {
    const batch = new PendingChanges(store);
    batch.put("a", 99);
    batch.discard();
    expect(batch.get("a")).toBe(1);
    expect(batch.changelogMessages(0)).toEqual([]);
  });

  it("refuses at once what the store could not hold, naming the key", () => {
    const batch = new PendingChanges(store);
    expect(() => batch.put("x\u0000", 1)).toThrow(/f\/n\/1: key .* \\u0000/);
    expect(() => batch.put("k", null as unknown as StoreValue)).toThrow(/"k" gets no value \(use delete\)/);
    expect(() => batch.delete("")).toThrow(/not a non-empty string/);
    expect(batch.size).toBe(0);
  });
});
