import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PartitionStore, StoreFullError, parseWindowedKey, storeDirectory, windowedKey, WRITE_BEHIND, type StoreValue } from "./store.js";

const dirs: string[] = [];
const stores: PartitionStore[] = [];

function openStore(maxBytes = 64 * 1024 * 1024, directory?: string): PartitionStore {
  const dir = directory ?? mkdtempSync(join(tmpdir(), "mr-store-"));
  if (!directory) dirs.push(dir);
  const s = PartitionStore.open({ directory: dir, maxBytes, label: "f/n/0" });
  stores.push(s);
  return s;
}

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("PartitionStore", () => {
  it("holds committed changes in memory, reads them first, and writes them with their checkpoint in one go", async () => {
    const s = openStore();
    s.write([{ key: "a", value: 1 }, { key: "gone", value: 1 }], 2);
    s.writeLater(new Map<string, StoreValue | null>([["a", 2], ["gone", null], ["b", "x"]]), 7, 10);
    s.writeLater(new Map<string, StoreValue | null>([["a", 3]]), 8, 2);
    expect(s.heldKeys).toBe(3);
    expect([s.get("a"), s.get("gone"), s.get("b")]).toEqual([3, undefined, "x"]);
    // young: not written yet
    s.flush(60_000);
    expect(s.heldKeys).toBe(3);
    // anything reading the checkpoint or the table as a whole sees them written first
    expect(s.checkpoint()).toBe(8);
    expect(s.heldKeys).toBe(0);
    expect(s.scan()).toEqual([{ key: "a", value: 3 }, { key: "b", value: "x" }]);
    s.writeLater(new Map<string, StoreValue | null>([["c", true]]), undefined, 1);
    const dir = dirs[0]!;
    await s.close();
    const again = openStore(undefined, dir);
    expect([again.get("a"), again.get("c"), again.checkpoint()]).toEqual([3, true, 8]);
  });

  it("writes what it holds once it is too much or too old, and forgets it on a wipe", () => {
    const s = openStore();
    const bound = WRITE_BEHIND.maxBytesPerStore;
    WRITE_BEHIND.maxBytesPerStore = 1000;
    try {
      s.writeLater(new Map([["a", 1]]), 1, 10);
      expect(s.heldKeys).toBe(1);
      s.writeLater(new Map([["b", "x".repeat(2000)]]), 2, 2001);
      expect(s.heldKeys).toBe(2);
      // over the bound: what is held is written before the next batch joins it
      s.writeLater(new Map([["a", 2]]), 3, 10);
      expect(s.heldKeys).toBe(1);
      // a failed write throws with the batch not taken: its retry applies it once
      s.writeLater(new Map([["b", "y".repeat(2000)]]), 4, 2001);
      const root = (s as unknown as { root: { transactionSync(f: () => void): void } }).root;
      const works = root.transactionSync.bind(root);
      root.transactionSync = () => {
        throw new Error("No space left on device");
      };
      expect(() => s.writeLater(new Map([["a", 3]]), 5, 10)).toThrow(/writing 2 changes held in memory failed: No space left/);
      expect([s.get("a"), s.heldKeys]).toEqual([2, 2]);
      root.transactionSync = works;
      s.writeLater(new Map([["a", 3]]), 5, 10);
      expect([s.get("a"), s.checkpoint()]).toEqual([3, 5]);
    } finally {
      WRITE_BEHIND.maxBytesPerStore = bound;
    }
    s.writeLater(new Map([["c", 1]]), 3, 2);
    s.wipe();
    expect([s.heldKeys, s.get("c"), s.get("a"), s.checkpoint()]).toEqual([0, undefined, undefined, undefined]);
  });

  it("refuses a held batch adding data to a full store", () => {
    const s = openStore(64 * 1024);
    expect(() => s.writeLater(new Map([["big", "x"]]), 1, 70 * 1024)).not.toThrow();
    expect(() => s.writeLater(new Map([["more", 1]]), 2, 10)).toThrow(StoreFullError);
    expect(() => s.writeLater(new Map<string, StoreValue | null>([["big", null]]), 3, 3)).not.toThrow();
  });

  it("writes a batch of puts and deletes with its checkpoint, and both survive a reopen", async () => {
    const s = openStore();
    expect(s.checkpoint()).toBeUndefined();
    s.write(
      [
        { key: "a", value: 1 },
        { key: "b", value: { n: 2, tags: ["x"] } },
        { key: "c", value: "three" },
      ],
      3,
    );
    s.write([{ key: "a", value: null }, { key: "c", value: "3" }], 5);
    expect(s.get("a")).toBeUndefined();
    expect(s.get("b")).toEqual({ n: 2, tags: ["x"] });
    expect(s.get("c")).toBe("3");
    expect(s.checkpoint()).toBe(5);
    const dir = dirs[0]!;
    await s.close();
    stores.length = 0;
    const again = openStore(64 * 1024 * 1024, dir);
    expect(again.get("b")).toEqual({ n: 2, tags: ["x"] });
    expect(again.checkpoint()).toBe(5);
    expect(again.size().entries).toBe(2);
  });

  it("writes none of a batch, nor its checkpoint, when one change fails", () => {
    const s = openStore();
    s.write([{ key: "a", value: 1 }], 1);
    const unencodable = {
      get boom(): StoreValue {
        throw new Error("cannot encode");
      },
    } as unknown as StoreValue;
    expect(() => s.write([{ key: "a", value: 2 }, { key: "b", value: unencodable }], 9)).toThrow(/f\/n\/0.*cannot encode/);
    expect(s.get("a")).toBe(1);
    expect(s.get("b")).toBeUndefined();
    expect(s.checkpoint()).toBe(1);
  });

  it("sets and clears the checkpoint alone", () => {
    const s = openStore();
    s.setCheckpoint(42);
    expect(s.checkpoint()).toBe(42);
    s.write([{ key: "k", value: true }], null);
    expect(s.checkpoint()).toBeUndefined();
    expect(s.get("k")).toBe(true);
    expect(() => s.setCheckpoint(-1)).toThrow(/not an offset/);
  });

  it("scans by prefix in key order with a limit and pages after a key", () => {
    const s = openStore();
    const keys = ["user:10", "user:2", "user:1", "order:1", "user", "usex", "u"];
    s.write(keys.map((key, i) => ({ key, value: i })));
    expect(s.scan({ prefix: "user:" }).map((e) => e.key)).toEqual(["user:1", "user:10", "user:2"]);
    expect(s.scan({ prefix: "user:", limit: 2 }).map((e) => e.key)).toEqual(["user:1", "user:10"]);
    expect(s.scan({ prefix: "user:", after: "user:10" }).map((e) => e.key)).toEqual(["user:2"]);
    expect(s.scan({ prefix: "user:", after: "a" }).map((e) => e.key)).toEqual(["user:1", "user:10", "user:2"]);
    expect(s.scan({ limit: 3 }).map((e) => e.key)).toEqual(["order:1", "u", "user"]);
    expect(s.scan({ prefix: "zzz" })).toEqual([]);
    expect(s.scan({ limit: 0 })).toEqual([]);
    expect(s.scan({ prefix: "order:" })).toEqual([{ key: "order:1", value: 3 }]);
  });

  it("keeps a group key's windows together and in time order", () => {
    const s = openStore();
    s.write([
      { key: windowedKey("a", 120_000), value: 2 },
      { key: windowedKey("a", 60_000), value: 1 },
      { key: windowedKey("ab", 0), value: 9 },
      { key: windowedKey("a", 1_000_000_000_000), value: 3 },
    ]);
    const windows = s.scan({ prefix: "a" + "\u0001" });
    expect(windows.map((e) => parseWindowedKey(e.key))).toEqual([
      { key: "a", windowStartMs: 60_000 },
      { key: "a", windowStartMs: 120_000 },
      { key: "a", windowStartMs: 1_000_000_000_000 },
    ]);
    expect(parseWindowedKey("plain")).toBeUndefined();
    expect(() => windowedKey("x\u0001y", 0)).toThrow(/\\u0001/);
    expect(() => windowedKey("x", -5)).toThrow(/window start/);
  });

  it("wipes the table and the checkpoint", () => {
    const s = openStore();
    s.write([{ key: "a", value: 1 }, { key: "b", value: 2 }], 7);
    s.wipe();
    expect(s.size().entries).toBe(0);
    expect(s.scan()).toEqual([]);
    expect(s.checkpoint()).toBeUndefined();
    s.write([{ key: "c", value: 3 }], 1);
    expect(s.get("c")).toBe(3);
  });

  it("refuses a batch adding data once the store reached its bound, naming the store; deletions still pass", () => {
    const s = openStore(256 * 1024);
    const big = "x".repeat(1000);
    let full: unknown;
    for (let i = 0; i < 1000 && !full; i++) {
      try {
        s.write(Array.from({ length: 20 }, (_, j) => ({ key: `k${i}-${j}`, value: big })));
      } catch (e) {
        full = e;
      }
    }
    expect(full).toBeInstanceOf(StoreFullError);
    expect((full as Error).message).toMatch(/state store f\/n\/0 is full: .* of its 0\.3 MB bound/);
    const before = s.size().entries;
    expect(() => s.write([{ key: "new", value: 1 }])).toThrow(StoreFullError);
    expect(s.get("new")).toBeUndefined();
    s.write([{ key: "k0-0", value: null }], 12);
    expect(s.size().entries).toBe(before - 1);
    expect(s.checkpoint()).toBe(12);
    // deleting most of it makes room again; so does a wipe
    s.write(s.scan({ limit: 1_000_000 }).slice(10).map((e) => ({ key: e.key, value: null })));
    s.write([{ key: "new", value: 1 }]);
    expect(s.get("new")).toBe(1);
    s.wipe();
    expect(s.size().bytes).toBeLessThan(s.maxBytes);
  });

  it("refuses keys it cannot hold, naming the store and the key", () => {
    const s = openStore();
    expect(() => s.write([{ key: "", value: 1 }])).toThrow(/f\/n\/0: key "" is not a non-empty string/);
    expect(() => s.write([{ key: "a\u0000b", value: 1 }])).toThrow(/\\u0000/);
    expect(() => s.write([{ key: "é".repeat(1000), value: 1 }])).toThrow(/2000 bytes .* longer than 1978 bytes/);
    expect(() => PartitionStore.open({ directory: "/tmp/x", maxBytes: 0 })).toThrow(/maxBytes must be > 0/);
  });

  it("puts each store in its own directory under the data directory", () => {
    expect(storeDirectory("/data", "orders", "count", 3)).toBe(join("/data", "state", "orders", "count", "3"));
    expect(storeDirectory("/data", "a/b", "n", 0)).toMatch(/^\/data\/state\/a_b-[0-9a-f]{8}\/n\/0$/);
  });
});
