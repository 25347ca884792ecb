import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SnapshotFileWriter, snapshotFilePath } from "./snapshot-file.js";

describe("snapshot files", () => {
  const root = mkdtempSync(join(tmpdir(), "mr-snapshot-file-"));
  const dir = join(root, "snapshots");
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("resolves a relative or absolute path inside the snapshot directory, creating its folders", async () => {
    expect(await snapshotFilePath(dir, "orders.jsonl")).toBe(join(dir, "orders.jsonl"));
    expect(await snapshotFilePath(dir, "daily/orders.jsonl")).toBe(join(dir, "daily", "orders.jsonl"));
    expect(await snapshotFilePath(dir, join(dir, "x.jsonl"))).toBe(join(dir, "x.jsonl"));
  });

  it("refuses a path outside it, by .., absolute path or a symbolic link, and a directory", async () => {
    const outside = /is outside the snapshot directory .* \(MILLRACE_SNAPSHOT_DIR\): give a path inside it/;
    await expect(snapshotFilePath(dir, "../escape.jsonl")).rejects.toThrow(outside);
    await expect(snapshotFilePath(dir, "/etc/passwd")).rejects.toThrow(outside);
    await expect(snapshotFilePath(dir, ".")).rejects.toThrow(outside);
    mkdirSync(join(root, "elsewhere"));
    symlinkSync(join(root, "elsewhere"), join(dir, "link"));
    await expect(snapshotFilePath(dir, "link/t.jsonl")).rejects.toThrow(outside);
    await expect(snapshotFilePath(dir, "daily/")).rejects.toThrow('the snapshot file "daily/" names a directory: give a file name');
    await expect(snapshotFilePath(dir, " ")).rejects.toThrow("the snapshot file's path is empty");
  });

  it("writes under a temporary name and renames it when complete; an abandoned one leaves nothing", async () => {
    const path = await snapshotFilePath(dir, "t.jsonl");
    const w = await SnapshotFileWriter.create(path);
    await w.line('{"a":1}');
    expect(readdirSync(dir).filter((f) => f.startsWith("t.jsonl"))).toEqual([expect.stringMatching(/^t\.jsonl\.tmp-/)]);
    await w.line('{"b":2}');
    await w.finish();
    expect(readFileSync(path, "utf8")).toBe('{"a":1}\n{"b":2}\n');
    const gone = await SnapshotFileWriter.create(await snapshotFilePath(dir, "u.jsonl"));
    await gone.line("{}");
    await gone.abandon();
    expect(readdirSync(dir).filter((f) => f.startsWith("u.jsonl"))).toEqual([]);
  });
});
