import { open, stat, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { parseConfig, sleep } from "../../config.js";
import { confinedDir, confinedFile, openFilesDir } from "../../files-dir.js";
import { failed, type MRecord, type ProcessorContext, type ProcessorImpl, type SourceProcessor } from "../../sdk.js";
import { compileGlob, listMatches } from "./glob.js";
import { spec, type FileSourceConfig } from "./spec.js";

/** Where each file stands, by identity (`<dev>:<ino>`): what the runner saves after the lines before it were acknowledged. */
export interface FileSourceCheckpoint {
  files: Record<string, FilePosition>;
}
interface FilePosition {
  /** relative to the files directory, for messages (the identity is what counts) */
  path: string;
  /** bytes consumed: the start of the next unread line (or, skipping, of what is left of a cut one) */
  offset: number;
  /** lines consumed before `offset` */
  line: number;
  /** the rest of an over-long line, already sent to failure cut, is being skipped */
  skip?: true;
}

/** Header naming the file a record's line comes from (relative to the files directory). */
export const FILE_PATH_HEADER = "file.path";

/** More matching files than this are left out (with a warning): each one holds an open descriptor. */
const MAX_FILES = 1000;
/** A poll reads at most this much, so one busy file cannot hold a batch forever. */
const POLL_BYTE_BUDGET = 8 * 1024 * 1024;
const READ_BYTES = 256 * 1024;
/** A file renamed away or deleted is let go this long after it stopped growing (a writer may not have reopened yet). */
const ROTATED_GRACE_MS = 2000;
const NEWLINE = 10;
const CR = 13;

interface Tailed extends FilePosition {
  id: string;
  handle: FileHandle;
  /** shared by the file's records (records never mutate headers) */
  headers: Record<string, string>;
  /** when the path stopped leading to this file (undefined: it still does) */
  goneAt?: number;
  lastSize: number;
  lastGrowthAt: number;
}

export const impl: ProcessorImpl<FileSourceConfig> = {
  type: spec.type,
  create(config, ctx): SourceProcessor {
    return new FileTail(parseConfig(spec, config), ctx);
  },
};

class FileTail implements SourceProcessor {
  private readonly glob;
  private root: string | undefined;
  private readonly tailed = new Map<string, Tailed>();
  /** positions of the checkpoint opened with, until the first scan has matched them to files */
  private restored: Map<string, FilePosition> | undefined;
  private firstStart = true;
  private nextScanAt = 0;
  private roundRobin = 0;
  private checkpoint: FileSourceCheckpoint = { files: {} };
  private dirty = false;
  private readonly buffer: Buffer;
  private readonly warned = new Set<string>();

  constructor(
    private readonly c: FileSourceConfig,
    private readonly ctx: ProcessorContext,
  ) {
    this.glob = compileGlob(c.path);
    this.buffer = Buffer.allocUnsafe(Math.max(READ_BYTES, c.maxLineBytes + 1));
  }

  async open(checkpoint: unknown): Promise<void> {
    this.root = await openFilesDir(spec.type, this.ctx.filesDir);
    // refuses a base directory that a symlink takes out of the files directory, before anything is read
    await confinedDir(this.root, this.glob.base, { nodeType: spec.type, field: "path", path: this.c.path, create: false });
    const files = (checkpoint as Partial<FileSourceCheckpoint> | undefined)?.files;
    if (checkpoint !== undefined && checkpoint !== null) {
      this.firstStart = false;
      this.restored = new Map();
      if (files && typeof files === "object") {
        for (const [id, p] of Object.entries(files)) if (isPosition(p)) this.restored.set(id, p);
      } else this.ctx.log("warn", `file-source: its saved checkpoint is not one of file positions; files are read from their start`);
      this.checkpoint = { files: Object.fromEntries(this.restored) };
    }
  }

  async poll(max: number): Promise<{ records: MRecord[]; failures?: MRecord[]; checkpoint?: unknown }> {
    if (!this.root) await this.open(undefined);
    const now = Date.now();
    if (now >= this.nextScanAt) {
      await this.scan(now);
      this.nextScanAt = now + this.c.pollIntervalMs;
    }
    const records: MRecord[] = [];
    const failures: MRecord[] = [];
    const files = [...this.tailed.values()];
    let bytes = 0;
    for (let k = 0; k < files.length && records.length + failures.length < max && bytes < POLL_BYTE_BUDGET; k++) {
      const t = files[(this.roundRobin + k) % files.length]!;
      try {
        bytes += await this.read(t, records, failures, max, POLL_BYTE_BUDGET - bytes, now);
      } catch (e) {
        this.warnOnce(`read:${t.id}`, `file-source: reading ${t.path} failed (${(e as Error).message}); tried again at the next poll`);
      }
    }
    this.roundRobin++;
    if (records.length === 0 && failures.length === 0) {
      await sleep(Math.max(0, this.nextScanAt - Date.now()), this.ctx.signal);
      return { records, checkpoint: this.snapshot() };
    }
    return failures.length ? { records, failures, checkpoint: this.snapshot() } : { records, checkpoint: this.snapshot() };
  }

  async close(): Promise<void> {
    for (const t of this.tailed.values()) await t.handle.close().catch(() => {});
    this.tailed.clear();
  }

  /** Matches the glob again: new files are opened, renamed ones followed, gone ones marked (and let go once drained). */
  private async scan(now: number): Promise<void> {
    const root = this.root!;
    let base: string | undefined;
    try {
      base = await confinedDir(root, this.glob.base, { nodeType: spec.type, field: "path", path: this.c.path, create: false });
    } catch (e) {
      this.warnOnce("base", `${(e as Error).message}; no new files are picked up until that is fixed`);
    }
    const seen = new Set<string>();
    if (base) {
      const { files, truncated } = await listMatches(base, this.glob, MAX_FILES);
      if (truncated) this.warnOnce("many", `file-source: more than ${MAX_FILES} files match "${this.c.path}"; only the first ${MAX_FILES} (by name) are tailed. Narrow the glob or delete old files`);
      for (const rel of files) await this.track(root, rel, seen);
    }
    for (const t of this.tailed.values()) {
      if (seen.has(t.id)) continue;
      if (t.goneAt === undefined) t.goneAt = now;
    }
    // saved positions of files no longer found are forgotten after the first scan
    if (this.restored) {
      this.restored = undefined;
      this.dirty = true;
    }
    this.firstStart = false;
  }

  private async track(root: string, rel: string, seen: Set<string>): Promise<void> {
    const real = await confinedFile(root, join(root, rel));
    if (!real) {
      this.warnOnce(`out:${rel}`, `file-source: ${rel} (matching path "${this.c.path}") leads outside the files directory (MILLRACE_FILES_DIR) or vanished; skipped`);
      return;
    }
    let st;
    try {
      st = await stat(real);
    } catch {
      return;
    }
    if (!st.isFile()) return;
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) return;
    seen.add(id);
    const known = this.tailed.get(id);
    if (known) {
      known.goneAt = undefined;
      if (known.path !== rel) {
        known.path = rel; // renamed, still matching: same file, same position
        known.headers = { [FILE_PATH_HEADER]: rel };
        this.dirty = true;
      }
      return;
    }
    let handle: FileHandle;
    try {
      handle = await open(real, "r");
    } catch (e) {
      this.warnOnce(`open:${rel}`, `file-source: cannot open ${rel} (${(e as Error).message}); tried again at the next scan`);
      seen.delete(id);
      return;
    }
    const opened = await handle.stat();
    if (`${opened.dev}:${opened.ino}` !== id) {
      await handle.close(); // replaced between stat and open: the next scan takes the new one
      return;
    }
    const saved = this.restored?.get(id);
    const t: Tailed = { id, handle, path: rel, offset: 0, line: 0, headers: { [FILE_PATH_HEADER]: rel }, lastSize: opened.size, lastGrowthAt: Date.now() };
    if (saved) {
      t.offset = saved.offset;
      t.line = saved.line;
      if (saved.skip) t.skip = true;
    } else if (this.firstStart && !this.c.fromBeginning) await this.skipExisting(t, opened.size);
    this.tailed.set(id, t);
    this.dirty = true;
  }

  /** Starts after the last complete line already in the file, counting lines so that messages can name them. */
  private async skipExisting(t: Tailed, size: number): Promise<void> {
    let pos = 0;
    while (pos < size) {
      const { bytesRead } = await t.handle.read(this.buffer, 0, Math.min(this.buffer.length, size - pos), pos);
      if (bytesRead === 0) break;
      for (let i = this.buffer.indexOf(NEWLINE, 0); i >= 0 && i < bytesRead; i = this.buffer.indexOf(NEWLINE, i + 1)) {
        t.line++;
        t.offset = pos + i + 1;
      }
      pos += bytesRead;
    }
  }

  /** Reads complete lines of `t` into records/failures; returns the bytes read. */
  private async read(t: Tailed, records: MRecord[], failures: MRecord[], max: number, budget: number, now: number): Promise<number> {
    const size = (await t.handle.stat()).size;
    if (size < t.offset) {
      this.ctx.log("info", `file-source: ${t.path} was truncated (${size} bytes, read up to ${t.offset}); reading it again from its start`);
      t.offset = 0;
      t.line = 0;
      delete t.skip;
      this.dirty = true;
    }
    if (size !== t.lastSize) {
      t.lastSize = size;
      t.lastGrowthAt = now;
    }
    let total = 0;
    /** bytes of an unterminated last line, at the start of the buffer */
    let incomplete = 0;
    while (t.offset < size && records.length + failures.length < max && total < budget) {
      const { bytesRead: n } = await t.handle.read(this.buffer, 0, Math.min(this.buffer.length, size - t.offset), t.offset);
      if (n === 0) break;
      const buf = this.buffer.subarray(0, n);
      total += n;
      this.dirty = true;
      if (t.skip) {
        const nl = buf.indexOf(NEWLINE);
        if (nl < 0) {
          t.offset += n;
          continue;
        }
        t.offset += nl + 1;
        t.line++;
        delete t.skip;
        continue;
      }
      let start = 0;
      for (let nl = buf.indexOf(NEWLINE); nl >= 0; nl = buf.indexOf(NEWLINE, start)) {
        this.emitLine(t, start, nl, records, failures);
        t.offset += nl + 1 - start;
        t.line++;
        start = nl + 1;
        if (records.length + failures.length >= max) return total;
      }
      if (n - start > this.c.maxLineBytes) {
        // no line break within maxLineBytes: the line goes to failure cut, its rest is skipped
        failures.push(this.tooLong(t, start, start + this.c.maxLineBytes));
        t.offset += this.c.maxLineBytes;
        t.skip = true;
      } else if (start === 0) {
        incomplete = n; // wait for its line break
        break;
      }
    }
    const drained = t.offset >= size || incomplete > 0;
    if (t.goneAt !== undefined && drained && now - Math.max(t.goneAt, t.lastGrowthAt) >= ROTATED_GRACE_MS) {
      // a rotated or deleted file read to its end: an unterminated last line is a line too
      if (incomplete > 0) {
        this.emitLine(t, 0, incomplete, records, failures);
        t.offset += incomplete;
        t.line++;
      }
      this.tailed.delete(t.id);
      this.dirty = true;
      await t.handle.close().catch(() => {});
    }
    return total;
  }

  private emitLine(t: Tailed, start: number, end: number, records: MRecord[], failures: MRecord[]): void {
    if (end > start && this.buffer[end - 1] === CR) end--;
    if (end - start > this.c.maxLineBytes) {
      failures.push(this.tooLong(t, start, start + this.c.maxLineBytes));
      return;
    }
    const text = this.buffer.toString("utf8", start, end);
    if (this.c.format === "text") {
      records.push({ value: text, headers: t.headers });
      return;
    }
    try {
      records.push({ value: JSON.parse(text), headers: t.headers });
    } catch (e) {
      failures.push(failed({ value: text, headers: t.headers }, `${t.path} line ${t.line + 1}: not JSON (${(e as Error).message})`, this.ctx.nodeId));
    }
  }

  private tooLong(t: Tailed, start: number, end: number): MRecord {
    const reason = `${t.path} line ${t.line + 1}: longer than maxLineBytes (${this.c.maxLineBytes} bytes); cut to that length`;
    return failed({ value: this.buffer.toString("utf8", start, end), headers: t.headers }, reason, this.ctx.nodeId);
  }

  /** The positions as they are now: a new object only when something moved (the runner compares by identity). */
  private snapshot(): FileSourceCheckpoint {
    if (!this.dirty) return this.checkpoint;
    this.dirty = false;
    const files: Record<string, FilePosition> = {};
    // a saved file not matched yet keeps its position until the first scan is done
    if (this.restored) for (const [id, p] of this.restored) files[id] = p;
    for (const t of this.tailed.values()) files[t.id] = t.skip ? { path: t.path, offset: t.offset, line: t.line, skip: true } : { path: t.path, offset: t.offset, line: t.line };
    this.checkpoint = { files };
    return this.checkpoint;
  }

  private warnOnce(key: string, msg: string): void {
    if (this.warned.has(key)) return;
    if (this.warned.size > 1000) this.warned.clear();
    this.warned.add(key);
    this.ctx.log("warn", msg);
  }
}

function isPosition(p: unknown): p is FilePosition {
  const o = p as Partial<FilePosition> | null;
  return typeof o === "object" && o !== null && typeof o.path === "string" && Number.isSafeInteger(o.offset) && o.offset! >= 0 && Number.isSafeInteger(o.line) && o.line! >= 0;
}
