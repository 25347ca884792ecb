import { link, open, readdir, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { parseConfig } from "../../config.js";
import { confinedDir, openFilesDir } from "../../files-dir.js";
import { failed, isTransientError, TransientError, type BatchProcessor, type MRecord, type Output, type ProcessorContext, type ProcessorImpl } from "../../sdk.js";
import { durationMs } from "../aggregate/duration.js";
import { PARTIAL, sinkNames, type SinkNames } from "./names.js";
import { spec, type FileSinkConfig } from "./spec.js";

/** How often a quiet sink checks whether its open file is older than rollEvery. */
const ROLL_CHECK_MS = 1000;

interface OpenFile {
  handle: FileHandle;
  partialPath: string;
  finalName: string;
  seq: number;
  period: string;
  openedAt: number;
  bytes: number;
}

export const impl: ProcessorImpl<FileSinkConfig> = {
  type: spec.type,
  async create(config, ctx): Promise<BatchProcessor> {
    const sink = new RollingFileSink(parseConfig(spec, config), ctx);
    await sink.start();
    return sink;
  },
};

export class RollingFileSink implements BatchProcessor {
  private readonly names: SinkNames;
  private readonly rollEveryMs: number;
  private dir = "";
  private current: OpenFile | undefined;
  private nextSeq = 1;
  /** batches of concurrently consumed partitions, and timed rolls, take turns on the one open file */
  private turn: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly c: FileSinkConfig,
    private readonly ctx: ProcessorContext,
    private readonly now: () => number = Date.now,
  ) {
    this.names = sinkNames(c.path);
    this.rollEveryMs = durationMs(c.rollEvery)!;
  }

  async start(): Promise<void> {
    const root = await openFilesDir(spec.type, this.ctx.filesDir);
    this.dir = (await confinedDir(root, this.names.dir, { nodeType: spec.type, field: "path", path: this.c.path, create: true }))!;
    let highest = 0;
    for (const entry of await readdir(this.dir)) {
      const seq = this.names.finishedSeq(entry);
      if (seq !== undefined) highest = Math.max(highest, seq);
      const partial = this.names.partial(entry);
      if (partial) {
        highest = Math.max(highest, this.names.finishedSeq(partial.final) ?? 0);
        if (partial.pid !== process.pid && !alive(partial.pid)) await this.finishLeftover(entry, partial.final);
      }
    }
    this.nextSeq = highest + 1;
    this.timer = setInterval(() => {
      const f = this.current;
      if (f && this.now() - f.openedAt >= this.rollEveryMs) void this.inTurn(() => this.rollIfDue()).catch((e) => this.ctx.log("warn", `file-sink: rolling ${f.finalName} failed (${(e as Error).message}); tried again at the next batch`));
    }, Math.min(ROLL_CHECK_MS, this.rollEveryMs));
    this.timer.unref();
  }

  process(records: readonly MRecord[], out: Output): Promise<void> {
    // a file system error is never the record's fault: the whole batch is retried, none sent to failure
    return this.inTurn(() => this.write(records, out)).catch((e: unknown) => {
      throw isTransientError(e) ? e : new TransientError(`file-sink: ${(e as Error).message}; the batch is retried`, { cause: e });
    });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.inTurn(() => this.roll()).catch((e) => this.ctx.log("warn", `file-sink: finishing ${this.current?.finalName} failed (${(e as Error).message}); it is finished at the next start`));
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work);
    this.turn = run.catch(() => {});
    return run;
  }

  private async write(records: readonly MRecord[], out: Output): Promise<void> {
    await this.rollIfDue();
    let chunk = "";
    let chunkBytes = 0;
    const written: number[] = [];
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const line = this.lineOf(r, i, out);
      if (line === undefined) continue;
      const bytes = Buffer.byteLength(line) + 1;
      const fileBytes = (this.current?.bytes ?? 0) + chunkBytes;
      if (fileBytes > 0 && fileBytes + bytes > this.c.rollBytes) {
        await this.append(chunk, chunkBytes);
        await this.roll();
        chunk = "";
        chunkBytes = 0;
      }
      chunk += line + "\n";
      chunkBytes += bytes;
      written.push(i);
    }
    if (chunkBytes > 0) await this.append(chunk, chunkBytes);
    if (this.current && this.current.bytes >= this.c.rollBytes) await this.roll();
    for (const i of written) out.emit("success", records[i]!, i);
  }

  /** The record's line, or undefined when it went to failure. */
  private lineOf(r: MRecord, i: number, out: Output): string | undefined {
    let line: string | undefined;
    try {
      line = this.c.format === "text" && typeof r.value === "string" ? r.value : JSON.stringify(r.value);
    } catch (e) {
      out.emit("failure", failed(r, `value is not JSON (${(e as Error).message})`, this.ctx.nodeId), i);
      return undefined;
    }
    if (line === undefined) line = "null";
    if (this.c.format === "text" && /[\r\n]/.test(line)) {
      out.emit("failure", failed(r, "a text value with a line break would be more than one line", this.ctx.nodeId), i);
      return undefined;
    }
    return line;
  }

  private async append(chunk: string, bytes: number): Promise<void> {
    if (bytes === 0) return;
    const f = this.current ?? (await this.openNext());
    try {
      await f.handle.write(chunk);
    } catch (e) {
      throw new TransientError(`file-sink: writing ${f.finalName} failed (${(e as Error).message}); the batch is retried`, { cause: e });
    }
    f.bytes += bytes;
  }

  private async rollIfDue(): Promise<void> {
    const f = this.current;
    if (!f) return;
    const now = this.now();
    if (now - f.openedAt >= this.rollEveryMs || this.names.period(new Date(now)) !== f.period) await this.roll();
  }

  private async openNext(): Promise<OpenFile> {
    const at = new Date(this.now());
    for (;;) {
      const seq = this.nextSeq++;
      const finalName = this.names.name(at, seq);
      const partialPath = join(this.dir, `${finalName}.${process.pid}${PARTIAL}`);
      try {
        // exclusive: a writer elsewhere that took the same number keeps it
        const handle = await open(partialPath, "wx");
        this.current = { handle, partialPath, finalName, seq, period: this.names.period(at), openedAt: at.getTime(), bytes: 0 };
        return this.current;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new TransientError(`file-sink: cannot create ${finalName}${PARTIAL} in ${this.names.dir || "the files directory"} (${(e as Error).message})`, { cause: e });
      }
    }
  }

  /** Makes the open file durable and visible under its final name, then keeps only the newest keepFiles. */
  private async roll(): Promise<void> {
    const f = this.current;
    if (!f) return;
    await f.handle.sync();
    await f.handle.close();
    this.current = undefined;
    await this.publish(f.partialPath, f.finalName);
    await this.prune();
  }

  /** Renames without replacing: should another writer have taken the final name, the next free number is used. */
  private async publish(partialPath: string, finalName: string): Promise<void> {
    let name = finalName;
    for (;;) {
      try {
        await link(partialPath, join(this.dir, name));
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        const seq = this.names.finishedSeq(name);
        name = name.replace(String(seq).padStart(6, "0"), String(this.nextSeq++).padStart(6, "0"));
      }
    }
    await unlink(partialPath);
    const dir = await open(this.dir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  private async finishLeftover(entry: string, finalName: string): Promise<void> {
    const path = join(this.dir, entry);
    const handle = await open(path, "r+");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.publish(path, finalName);
    this.ctx.log("info", `file-sink: ${entry} was left by a process that stopped; finished as ${finalName}`);
  }

  private async prune(): Promise<void> {
    const finished: { name: string; seq: number }[] = [];
    for (const entry of await readdir(this.dir)) {
      const seq = this.names.finishedSeq(entry);
      if (seq !== undefined) finished.push({ name: entry, seq });
    }
    if (finished.length <= this.c.keepFiles) return;
    finished.sort((a, b) => a.seq - b.seq);
    for (const old of finished.slice(0, finished.length - this.c.keepFiles)) await unlink(join(this.dir, old.name)).catch(() => {});
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
