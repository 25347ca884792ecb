import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../config.js";
import { HEADER, type BatchProcessor, type MRecord, type ProcessorContext } from "../../sdk.js";
import { RollingFileSink, impl } from "./impl.js";
import { sinkNames } from "./names.js";
import { spec, type FileSinkConfig } from "./spec.js";

let top: string;
let root: string;
let logs: string[];

beforeEach(() => {
  top = mkdtempSync(join(tmpdir(), "mr-file-sink-"));
  root = join(top, "files");
  logs = [];
});
afterEach(() => rmSync(top, { recursive: true, force: true }));

const ctx = (): ProcessorContext => ({ flowId: "f", nodeId: "out", signal: new AbortController().signal, log: (level, msg) => logs.push(`${level} ${msg}`), filesDir: root });
const sinkOf = (config: Record<string, unknown>, c: ProcessorContext = ctx()) => impl.create(config as FileSinkConfig, c);
const rec = (value: unknown): MRecord => ({ value, headers: {} });

async function run(p: BatchProcessor, values: unknown[]) {
  const ports: Record<string, MRecord[]> = { success: [], failure: [] };
  await p.process(values.map(rec), { emit: (port, r) => ports[port]!.push(r) });
  return ports;
}

const outDir = () => join(root, "out");
const files = () => readdirSync(outDir()).sort();
const lines = (name: string) => readFileSync(join(outDir(), name), "utf8").split("\n").slice(0, -1);

async function clockSink(config: Record<string, unknown>, clock: { t: number }) {
  const s = new RollingFileSink(parseConfig(spec, config), ctx(), () => clock.t);
  await s.start();
  return s;
}

describe("file-sink", () => {
  it("writes each value as a line under a .partial name, visible under its final name once rolled at close", async () => {
    const clock = { t: Date.UTC(2026, 11, 6, 10, 30) };
    const s = await clockSink({ path: "out/orders-{date}.jsonl" }, clock);
    const ports = await run(s, [{ id: 1 }, "two", 3]);
    expect(ports.success.map((r) => r.value)).toEqual([{ id: 1 }, "two", 3]);
    expect(files()).toEqual([`orders-2026-12-06-000001.jsonl.${process.pid}.partial`]);
    await s.close!();
    expect(files()).toEqual(["orders-2026-12-06-000001.jsonl"]);
    expect(lines("orders-2026-12-06-000001.jsonl")).toEqual(['{"id":1}', '"two"', "3"]);
  });

  it("text format writes strings as they are; a value with a line break goes to failure", async () => {
    const s = (await sinkOf({ path: "out/t.txt", format: "text" }, ctx())) as BatchProcessor;
    const ports = await run(s, ["plain", "two\nlines", { a: 1 }]);
    expect(ports.failure.map((r) => r.headers[HEADER.error])).toEqual(["a text value with a line break would be more than one line"]);
    await s.close!();
    expect(files()).toEqual(["t-000001.txt"]);
    expect(lines("t-000001.txt")).toEqual(["plain", '{"a":1}']);
  });

  it("rolls by size: no file holds more than rollBytes (unless one line is bigger)", async () => {
    const clock = { t: Date.UTC(2026, 11, 6) };
    const s = await clockSink({ path: "out/s-{seq}.log", format: "text", rollBytes: 10 }, clock);
    await run(s, ["aaaa", "bbbb", "cccc"]); // 5 bytes a line: 2 per file
    await run(s, ["dddd", "a line longer than ten bytes", "eeee"]);
    await s.close!();
    expect(files()).toEqual(["s-000001.log", "s-000002.log", "s-000003.log", "s-000004.log"]);
    expect(files().map(lines)).toEqual([["aaaa", "bbbb"], ["cccc", "dddd"], ["a line longer than ten bytes"], ["eeee"]]);
  });

  it("rolls by time (rollEvery) and when the date changes", async () => {
    const clock = { t: Date.UTC(2026, 11, 6, 23, 0) };
    const s = await clockSink({ path: "out/e-{date}.jsonl", rollEvery: "10m" }, clock);
    await run(s, [1]);
    clock.t += 5 * 60_000;
    await run(s, [2]);
    clock.t += 5 * 60_000; // 10 minutes after the file was started
    await run(s, [3]);
    clock.t += 55 * 60_000; // past midnight
    await run(s, [4]);
    expect(files().filter((f) => !f.endsWith(".partial"))).toEqual(["e-2026-12-06-000001.jsonl", "e-2026-12-06-000002.jsonl"]);
    await s.close!();
    expect(files()).toEqual(["e-2026-12-06-000001.jsonl", "e-2026-12-06-000002.jsonl", "e-2026-12-07-000003.jsonl"]);
    expect(files().map(lines)).toEqual([["1", "2"], ["3"], ["4"]]);
  });

  it("a quiet sink rolls its file once rollEvery has passed, without a new batch", async () => {
    const clock = { t: Date.now() };
    const s = await clockSink({ path: "out/q.jsonl", rollEvery: "1s" }, clock);
    await run(s, ["x"]);
    clock.t += 1500;
    await new Promise((r) => setTimeout(r, 1300));
    expect(files()).toEqual(["q-000001.jsonl"]);
    await s.close!();
  });

  it("keeps only the keepFiles newest files, and continues numbering after a restart", async () => {
    const clock = { t: Date.UTC(2026, 11, 6) };
    const s = await clockSink({ path: "out/k.log", rollBytes: 1, keepFiles: 3 }, clock);
    await run(s, [1, 2, 3, 4, 5]);
    await s.close!();
    expect(files()).toEqual(["k-000003.log", "k-000004.log", "k-000005.log"]);
    writeFileSync(join(outDir(), "unrelated.log"), "mine\n");
    const again = await clockSink({ path: "out/k.log", rollBytes: 1, keepFiles: 3 }, clock);
    await run(again, [6]);
    await again.close!();
    expect(files()).toEqual(["k-000004.log", "k-000005.log", "k-000006.log", "unrelated.log"]);
  });

  it("finishes a .partial file left by a process that died", async () => {
    mkdirSync(outDir(), { recursive: true });
    writeFileSync(join(outDir(), "p-000007.log.999999999.partial"), "left\n");
    const s = (await sinkOf({ path: "out/p.log" }, ctx())) as BatchProcessor;
    expect(files()).toEqual(["p-000007.log"]);
    await run(s, ["next"]);
    await s.close!();
    expect(files()).toEqual(["p-000007.log", "p-000008.log"]);
    expect(logs.some((l) => /left by a process that stopped/.test(l))).toBe(true);
  });

  it("batches of concurrent partitions do not interleave within a line", async () => {
    const s = (await sinkOf({ path: "out/c.log", format: "text" }, ctx())) as BatchProcessor;
    const a = Array.from({ length: 500 }, (_, i) => `a${i}`);
    const b = Array.from({ length: 500 }, (_, i) => `b${i}`);
    await Promise.all([run(s, a), run(s, b)]);
    await s.close!();
    expect(lines("c-000001.log").sort()).toEqual([...a, ...b].sort());
  });

  it("a file system error retries the batch (transient), sending no record to failure", async () => {
    const s = (await sinkOf({ path: "out/gone.log" })) as BatchProcessor;
    rmSync(outDir(), { recursive: true });
    writeFileSync(outDir(), "a file where the directory was");
    await expect(run(s, ["x"])).rejects.toMatchObject({ transient: true, message: expect.stringMatching(/file-sink: cannot create gone-000001\.log\.partial in out/) });
    rmSync(outDir());
    mkdirSync(outDir());
    expect((await run(s, ["x"])).success).toHaveLength(1);
    await s.close!();
    expect(files()).toEqual(["gone-000002.log"]);
  });

  it("refuses paths leaving the files directory: at validation and at start (symlinks)", async () => {
    for (const path of ["../x.log", "a/../../x.log", "/tmp/x.log", "out/{date}/x.log", "out/{nope}.log", "out/"]) expect(spec.configSchema.safeParse({ path }).success, path).toBe(false);
    expect(spec.configSchema.safeParse({ path: "out/x.log", rollEvery: "soon" }).success).toBe(false);
    mkdirSync(root, { recursive: true });
    mkdirSync(join(top, "elsewhere"));
    symlinkSync(join(top, "elsewhere"), join(root, "out"));
    await expect(sinkOf({ path: "out/x.log" }, ctx())).rejects.toThrow(/file-sink: path "out\/x\.log" leads through a symlink .* outside the files directory/);
    expect(readdirSync(join(top, "elsewhere"))).toEqual([]);
  });

  it("cannot start on an engine without a files directory", async () => {
    await expect(sinkOf({ path: "out/x.log" }, { ...ctx(), filesDir: undefined })).rejects.toThrow(/no files directory/);
    expect(existsSync(root)).toBe(false);
  });
});

describe("file-sink names", () => {
  it("inserts {seq} before the extension and recognises its own files only", () => {
    const n = sinkNames("out/orders-{date}.jsonl");
    expect(n.dir).toBe("out");
    expect(n.name(new Date(Date.UTC(2026, 0, 2, 3)), 12)).toBe("orders-2026-01-02-000012.jsonl");
    expect(n.finishedSeq("orders-2026-01-02-000012.jsonl")).toBe(12);
    expect(n.finishedSeq("orders-2026-01-02-000012.jsonl.1.partial")).toBeUndefined();
    expect(n.finishedSeq("other-2026-01-02-000012.jsonl")).toBeUndefined();
    expect(n.partial("orders-2026-01-02-000012.jsonl.4242.partial")).toEqual({ final: "orders-2026-01-02-000012.jsonl", pid: 4242 });
    expect(sinkNames("plain").name(new Date(0), 1)).toBe("plain-000001");
    expect(sinkNames("x/{hour}-{seq}.log").name(new Date(Date.UTC(2026, 0, 1, 7)), 3)).toBe("07-000003.log");
  });
});
