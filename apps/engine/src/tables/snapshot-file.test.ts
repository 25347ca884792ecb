import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SnapshotFileWriter, snapshotFilePath } from "./snapshot-file.js";

describe("snapshot files", () => {
  const root = mkdtempSync(join(tmpdir(), "mr-snapshot-file-"));
  const dir = join(root, "snapshots");
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const path = (requested: string) => snapshotFilePath(dir, "f1", "n1", requested);

  it("resolves a name (or an absolute path) inside the node's own folder, creating its folders; the name is relative", async () => {
    expect(await path("orders.jsonl")).toEqual({ path: join(dir, "f1", "n1", "orders.jsonl"), name: join("f1", "n1", "orders.jsonl") });
    expect(await path("daily/orders.jsonl")).toEqual({ path: join(dir, "f1", "n1", "daily", "orders.jsonl"), name: join("f1", "n1", "daily", "orders.jsonl") });
    expect((await path(join(dir, "f1", "n1", "x.jsonl"))).path).toBe(join(dir, "f1", "n1", "x.jsonl"));
  });

  it("refuses another node's or flow's folder, and a file that exists (never replaced)", async () => {
    const outside = /^the snapshot file ".*" is outside node n1's snapshot folder f1\/n1 \(in MILLRACE_SNAPSHOT_DIR\): give a name inside it$/;
    await expect(path("../n2/t.jsonl")).rejects.toThrow(outside);
    await expect(path("../../f2/n1/t.jsonl")).rejects.toThrow(outside);
    await expect(path(join(dir, "t.jsonl"))).rejects.toThrow(outside);
    const taken = await path("taken.jsonl");
    const w = await SnapshotFileWriter.create(taken.path);
    await w.line("{}");
    await w.finish();
    await expect(path("taken.jsonl")).rejects.toMatchObject({ code: "CONFLICT", message: `the snapshot file ${join("f1", "n1", "taken.jsonl")} exists already: give another name (or delete it)` });
    // one written meanwhile under the same name: the one there stays, the new one is dropped
    const late = await SnapshotFileWriter.create((await path("late.jsonl")).path);
    await late.line('{"mine":1}');
    const first = await SnapshotFileWriter.create(join(dir, "f1", "n1", "late.jsonl"));
    await first.line('{"first":1}');
    await first.finish();
    await expect(late.finish()).rejects.toMatchObject({ code: "CONFLICT" });
    expect(readFileSync(join(dir, "f1", "n1", "late.jsonl"), "utf8")).toBe('{"first":1}\n');
    expect(readdirSync(join(dir, "f1", "n1")).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  it("refuses a path outside it, by .., absolute path or a symbolic link, and a directory", async () => {
    const outside = /is outside node n1's snapshot folder f1\/n1 \(in MILLRACE_SNAPSHOT_DIR\): give a name inside it/;
    await expect(path("../../../escape.jsonl")).rejects.toThrow(outside);
    await expect(path("/etc/passwd")).rejects.toThrow(outside);
    await expect(path(".")).rejects.toThrow(outside);
    mkdirSync(join(root, "elsewhere"));
    symlinkSync(join(root, "elsewhere"), join(dir, "f1", "n1", "link"));
    await expect(path("link/t.jsonl")).rejects.toThrow(outside);
    await expect(path("daily/")).rejects.toThrow('the snapshot file "daily/" names a directory: give a file name');
    await expect(path(" ")).rejects.toThrow("the snapshot file's path is empty");
  });

  it("writes under a temporary name and links it to its name when complete; an abandoned one leaves nothing", async () => {
    const folder = join(dir, "f1", "n1");
    const t = await path("t.jsonl");
    const w = await SnapshotFileWriter.create(t.path);
    await w.line('{"a":1}');
    expect(readdirSync(folder).filter((f) => f.startsWith("t.jsonl"))).toEqual([expect.stringMatching(/^t\.jsonl\.tmp-/)]);
    await w.line('{"b":2}');
    await w.finish();
    expect(readFileSync(t.path, "utf8")).toBe('{"a":1}\n{"b":2}\n');
    expect(readdirSync(folder).filter((f) => f.startsWith("t.jsonl"))).toEqual(["t.jsonl"]);
    const gone = await SnapshotFileWriter.create((await path("u.jsonl")).path);
    await gone.line("{}");
    await gone.abandon();
    expect(readdirSync(folder).filter((f) => f.startsWith("u.jsonl"))).toEqual([]);
  });
});
