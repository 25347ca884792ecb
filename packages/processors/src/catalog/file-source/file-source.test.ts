import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../config.js";
import { HEADER, type MRecord, type ProcessorContext, type SourceProcessor } from "../../sdk.js";
import { compileGlob } from "./glob.js";
import { FILE_PATH_HEADER, impl } from "./impl.js";
import { spec, type FileSourceConfig } from "./spec.js";

let top: string;
let root: string;
let logs: string[];
let abort: AbortController;

beforeEach(() => {
  top = mkdtempSync(join(tmpdir(), "mr-file-source-"));
  root = join(top, "files");
  mkdirSync(join(root, "logs"), { recursive: true });
  logs = [];
  abort = new AbortController();
});
afterEach(() => {
  abort.abort();
  rmSync(top, { recursive: true, force: true });
});

const create = (config: Record<string, unknown>, c: ProcessorContext = ctx()) => impl.create(config as FileSourceConfig, c);
const ctx = (): ProcessorContext => ({ flowId: "f", nodeId: "tail", signal: abort.signal, log: (level, msg) => logs.push(`${level} ${msg}`), filesDir: root });

async function source(config: Record<string, unknown>, checkpoint?: unknown): Promise<SourceProcessor> {
  const s = (await create({ pollIntervalMs: 50, ...config }, ctx())) as SourceProcessor;
  await s.open?.(checkpoint);
  return s;
}

interface Drained {
  values: unknown[];
  failures: MRecord[];
  records: MRecord[];
  checkpoint: unknown;
}

/** Polls until `polls` polls in a row bring nothing (each waits pollIntervalMs). */
async function drain(s: SourceProcessor, max = 1000, quiet = 2): Promise<Drained> {
  const d: Drained = { values: [], failures: [], records: [], checkpoint: undefined };
  for (let empty = 0; empty < quiet; ) {
    const r = await s.poll(max);
    expect(r.records.length + (r.failures?.length ?? 0)).toBeLessThanOrEqual(max);
    if (r.checkpoint !== undefined) d.checkpoint = r.checkpoint;
    d.records.push(...r.records);
    d.values.push(...r.records.map((x) => x.value));
    d.failures.push(...(r.failures ?? []));
    empty = r.records.length || r.failures?.length ? 0 : empty + 1;
  }
  return d;
}

const log = (name: string) => join(root, "logs", name);

describe("file-source", () => {
  it("tails new lines only by default, and existing content with fromBeginning", async () => {
    writeFileSync(log("a.log"), "old 1\nold 2\n");
    const s = await source({ path: "logs/*.log" });
    expect((await drain(s)).values).toEqual([]);
    appendFileSync(log("a.log"), "new 1\nnew 2\r\npartial");
    const d = await drain(s);
    expect(d.values).toEqual(["new 1", "new 2"]);
    expect(d.records[0]!.headers[FILE_PATH_HEADER]).toBe("logs/a.log");
    appendFileSync(log("a.log"), " line\n");
    expect((await drain(s)).values).toEqual(["partial line"]);
    await s.close?.();

    const again = await source({ path: "logs/*.log", fromBeginning: true });
    expect((await drain(again)).values).toEqual(["old 1", "old 2", "new 1", "new 2", "partial line"]);
    await again.close?.();
  });

  it("picks up files created later, from their start, and only files matching the glob", async () => {
    const s = await source({ path: "logs/**/*.log" });
    await drain(s);
    writeFileSync(log("b.log"), "b1\n");
    writeFileSync(log("b.txt"), "not me\n");
    mkdirSync(join(root, "logs", "deep", "er"), { recursive: true });
    writeFileSync(join(root, "logs", "deep", "er", "c.log"), "c1\n");
    const d = await drain(s);
    expect(d.values.sort()).toEqual(["b1", "c1"]);
    await s.close?.();
  });

  it("follows a rotation: the renamed file is read to its end, the new file from its start", async () => {
    writeFileSync(log("app.log"), "");
    const s = await source({ path: "logs/app.log" });
    await drain(s);
    appendFileSync(log("app.log"), "1\n2\n");
    expect((await drain(s)).values).toEqual(["1", "2"]);
    appendFileSync(log("app.log"), "3\n");
    renameSync(log("app.log"), log("app.log.1")); // out of the glob
    appendFileSync(log("app.log.1"), "4\n"); // the writer has not reopened yet
    writeFileSync(log("app.log"), "5\n");
    const d = await drain(s);
    expect(d.values.sort()).toEqual(["3", "4", "5"]);
    // the old file is let go once it stopped growing for a while, its unterminated last line read too
    appendFileSync(log("app.log.1"), "6");
    expect((await drain(s)).values).toEqual([]);
    await new Promise((r) => setTimeout(r, 2300));
    const after = await drain(s);
    expect(after.values).toEqual(["6"]);
    expect(Object.values((after.checkpoint as { files: Record<string, { path: string }> }).files).map((p) => p.path)).toEqual(["logs/app.log"]);
    await s.close?.();
  });

  it("a rotated name that still matches keeps its position (same identity)", async () => {
    writeFileSync(log("x.log"), "");
    const s = await source({ path: "logs/x.log*" });
    await drain(s);
    appendFileSync(log("x.log"), "a\n");
    await drain(s);
    renameSync(log("x.log"), log("x.log.1"));
    appendFileSync(log("x.log.1"), "b\n");
    writeFileSync(log("x.log"), "c\n");
    const d = await drain(s);
    expect(d.values.sort()).toEqual(["b", "c"]);
    expect(d.records.find((r) => r.value === "b")!.headers[FILE_PATH_HEADER]).toBe("logs/x.log.1");
    await s.close?.();
  });

  it("reads a truncated file again from its start", async () => {
    writeFileSync(log("t.log"), "");
    const s = await source({ path: "logs/t.log" });
    await drain(s);
    appendFileSync(log("t.log"), "one long line\ntwo\n");
    expect((await drain(s)).values).toEqual(["one long line", "two"]);
    truncateSync(log("t.log"), 0);
    appendFileSync(log("t.log"), "three\n");
    expect((await drain(s)).values).toEqual(["three"]);
    expect(logs.some((l) => /t\.log was truncated/.test(l))).toBe(true);
    await s.close?.();
  });

  it("restarts from its checkpoint: no line lost or repeated, files created meanwhile read whole", async () => {
    writeFileSync(log("r.log"), "");
    const s = await source({ path: "logs/*.log" });
    await drain(s);
    appendFileSync(log("r.log"), "1\n2\n3\n");
    const first = await s.poll(2);
    expect(first.records.map((r) => r.value)).toEqual(["1", "2"]);
    const saved = JSON.parse(JSON.stringify(first.checkpoint)); // as the engine stores it
    await s.close?.();
    appendFileSync(log("r.log"), "4\n");
    writeFileSync(log("s.log"), "s1\n");
    const restarted = await source({ path: "logs/*.log" }, saved);
    expect((await drain(restarted)).values.sort()).toEqual(["3", "4", "s1"]);
    await restarted.close?.();
  });

  it("a checkpoint unchanged between polls is the same object (the runner saves only what moved)", async () => {
    const s = await source({ path: "logs/*.log" });
    const a = await s.poll(10);
    const b = await s.poll(10);
    expect(b.checkpoint).toBe(a.checkpoint);
    await s.close?.();
  });

  it("json: parses each line; a bad line goes to failure with its file and line number", async () => {
    writeFileSync(log("j.log"), '{"a":1}\nnot json\n[2]\n');
    const s = await source({ path: "logs/j.log", format: "json", fromBeginning: true });
    const d = await drain(s);
    expect(d.values).toEqual([{ a: 1 }, [2]]);
    expect(d.failures).toHaveLength(1);
    expect(d.failures[0]!.value).toBe("not json");
    expect(d.failures[0]!.headers[HEADER.error]).toMatch(/^logs\/j\.log line 2: not JSON/);
    expect(d.failures[0]!.headers[HEADER.errorNode]).toBe("tail");
    await s.close?.();
  });

  it("a line longer than maxLineBytes goes to failure cut, the next line is read normally", async () => {
    writeFileSync(log("l.log"), `short\n${"x".repeat(100)}\nafter\n${"y".repeat(40)}`);
    const s = await source({ path: "logs/l.log", maxLineBytes: 32, fromBeginning: true });
    const d = await drain(s);
    expect(d.values).toEqual(["short", "after"]);
    expect(d.failures.map((f) => f.value)).toEqual(["x".repeat(32), "y".repeat(32)]);
    expect(d.failures[0]!.headers[HEADER.error]).toMatch(/line 2: longer than maxLineBytes \(32 bytes\)/);
    appendFileSync(log("l.log"), "yyyy\nlast\n");
    expect((await drain(s)).values).toEqual(["last"]);
    await s.close?.();
  });

  it("bounds a batch by max", async () => {
    writeFileSync(log("m.log"), Array.from({ length: 250 }, (_, i) => `${i}\n`).join(""));
    const s = await source({ path: "logs/m.log", fromBeginning: true });
    const d = await drain(s, 100);
    expect(d.values).toHaveLength(250);
    expect(d.values[249]).toBe("249");
    await s.close?.();
  });

  it("refuses paths leaving the files directory: at validation (.., absolute) and at start (symlinks)", async () => {
    for (const path of ["../etc/*.log", "logs/../../x", "/var/log/*.log", "C:/x.log"]) {
      const r = spec.configSchema.safeParse({ path });
      expect(r.success, path).toBe(false);
    }
    expect(() => create({ path: "../x" }, ctx())).toThrow(ConfigError);
    const outside = join(top, "outside");
    mkdirSync(outside);
    writeFileSync(join(outside, "secret.log"), "secret\n");
    symlinkSync(outside, join(root, "escape"));
    const s = (await create({ path: "escape/*.log", fromBeginning: true }, ctx())) as SourceProcessor;
    await expect(s.open!(undefined)).rejects.toThrow(/path "escape\/\*\.log" leads through a symlink to .*outside the files directory/);
    // a symlinked file in a matching place is skipped, not read
    symlinkSync(join(outside, "secret.log"), log("link.log"));
    writeFileSync(log("ok.log"), "ok\n");
    const t = await source({ path: "logs/*.log", fromBeginning: true });
    expect((await drain(t)).values).toEqual(["ok"]);
    expect(logs.some((l) => /link\.log .* leads outside the files directory/.test(l))).toBe(true);
    await t.close?.();
  });

  it("cannot start on an engine without a files directory", async () => {
    const s = (await create({ path: "logs/*.log" }, { ...ctx(), filesDir: undefined })) as SourceProcessor;
    await expect(s.open!(undefined)).rejects.toThrow(/no files directory \(set MILLRACE_FILES_DIR/);
  });

  it("forgets a deleted file once drained", async () => {
    writeFileSync(log("d.log"), "");
    const s = await source({ path: "logs/*.log" });
    await drain(s);
    appendFileSync(log("d.log"), "last\n");
    unlinkSync(log("d.log"));
    expect((await drain(s)).values).toEqual(["last"]);
    await new Promise((r) => setTimeout(r, 2200));
    const d = await drain(s);
    expect((d.checkpoint as { files: object }).files).toEqual({});
    await s.close?.();
  });
});

describe("file-source glob", () => {
  it("matches * and ? within a level, ** across levels, character classes", () => {
    const g = compileGlob("logs/**/app-?.[ab]*.log");
    expect(g.base).toBe("logs");
    expect(g.depth).toBe(Infinity);
    expect(g.matches("logs/app-1.a.log")).toBe(true);
    expect(g.matches("logs/x/y/app-2.bzz.log")).toBe(true);
    expect(g.matches("logs/app-12.a.log")).toBe(false);
    expect(g.matches("logs/app-1.c.log")).toBe(false);
    const flat = compileGlob("logs/*.log");
    expect(flat).toMatchObject({ base: "logs", depth: 1 });
    expect(flat.matches("logs/a/b.log")).toBe(false);
    expect(compileGlob("a.(x)+.log").matches("a.(x)+.log")).toBe(true);
  });
});
