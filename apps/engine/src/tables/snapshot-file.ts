import { randomBytes } from "node:crypto";
import { mkdir, open, realpath, rename, rm } from "node:fs/promises";
import { basename, dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { DomainError } from "../errors.js";

/**
 * File snapshots: JSON lines, a header line first (`{"snapshot": {...offsets...}}`), then one
 * `{"key":..,"value":..,"partition":..}` per row. Written under a temporary name in the same
 * directory and renamed when complete, so a reader never sees half a snapshot.
 */

function inside(directory: string, path: string): boolean {
  const rel = relative(directory, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

/**
 * The absolute path of a snapshot file asked for as `requested` (relative to `directory`, or
 * absolute): refused unless it lies within `directory`, symbolic links followed. Creates the
 * directories on the way.
 */
export async function snapshotFilePath(directory: string, requested: string): Promise<string> {
  if (!requested.trim()) throw new DomainError("INVALID", "the snapshot file's path is empty");
  if (requested.endsWith("/") || requested.endsWith(sep)) throw new DomainError("INVALID", `the snapshot file "${requested}" names a directory: give a file name`);
  await mkdir(directory, { recursive: true });
  const root = await realpath(directory);
  const wanted = resolve(root, requested);
  const outside = () => new DomainError("INVALID", `the snapshot file "${requested}" is outside the snapshot directory ${root} (MILLRACE_SNAPSHOT_DIR): give a path inside it`);
  if (!inside(root, wanted)) throw outside();
  await mkdir(dirname(wanted), { recursive: true });
  // a symbolic link on the way may lead out of the directory
  const parent = await realpath(dirname(wanted));
  if (parent !== root && !inside(root, parent)) throw outside();
  return resolve(parent, basename(wanted));
}

/** Buffers lines and writes them to a temporary file, renamed to `path` by `finish`; `abandon` deletes it. */
export class SnapshotFileWriter {
  private chunks: string[] = [];
  private buffered = 0;
  private constructor(
    private readonly file: Awaited<ReturnType<typeof open>>,
    private readonly tempPath: string,
    readonly path: string,
  ) {}

  static async create(path: string): Promise<SnapshotFileWriter> {
    const tempPath = `${path}.tmp-${randomBytes(6).toString("hex")}`;
    return new SnapshotFileWriter(await open(tempPath, "wx", 0o640), tempPath, path);
  }

  async line(text: string): Promise<void> {
    this.chunks.push(text, "\n");
    this.buffered += text.length + 1;
    if (this.buffered >= 1 << 20) await this.flush();
  }

  private async flush(): Promise<void> {
    if (!this.chunks.length) return;
    const text = this.chunks.join("");
    this.chunks = [];
    this.buffered = 0;
    await this.file.write(text);
  }

  async finish(): Promise<void> {
    await this.flush();
    await this.file.sync();
    await this.file.close();
    await rename(this.tempPath, this.path);
  }

  async abandon(): Promise<void> {
    await this.file.close().catch(() => {});
    await rm(this.tempPath, { force: true });
  }
}
