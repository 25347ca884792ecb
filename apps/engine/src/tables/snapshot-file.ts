import { randomBytes } from "node:crypto";
import { access, link, mkdir, open, realpath, rm } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { DomainError } from "../errors.js";

/**
 * File snapshots: JSON lines, a header line first (`{"snapshot": {...offsets...}}`), then one
 * `{"key":..,"value":..,"partition":..}` per row. Written under a temporary name in the same
 * directory and linked to its name when complete, so a reader never sees half a snapshot and an
 * existing file is never replaced. Each node's files are in a folder of its own,
 * `<snapshot directory>/<flow>/<node>/`, so one flow's snapshot cannot name (and, pruned, delete)
 * another's.
 */

function inside(directory: string, path: string): boolean {
  const rel = relative(directory, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

/** A snapshot file: where it is on this engine, and its name relative to the snapshot directory (what the API shows). */
export interface SnapshotFile {
  path: string;
  name: string;
}

/**
 * The snapshot file of a node asked for as `requested` (relative to the node's folder, or an
 * absolute path within it): refused unless it lies within that folder, symbolic links followed,
 * or when it exists already. Creates the folders on the way.
 */
export async function snapshotFilePath(directory: string, flowId: string, nodeId: string, requested: string): Promise<SnapshotFile> {
  if (!requested.trim()) throw new DomainError("INVALID", "the snapshot file's path is empty");
  if (requested.endsWith("/") || requested.endsWith(sep)) throw new DomainError("INVALID", `the snapshot file "${requested}" names a directory: give a file name`);
  await mkdir(join(directory, flowId, nodeId), { recursive: true });
  const top = await realpath(directory);
  const root = join(top, flowId, nodeId);
  const wanted = resolve(root, requested);
  // the node's folder only, named relative to the snapshot directory: the server's paths are not the asker's business
  const outside = () => new DomainError("INVALID", `the snapshot file "${requested}" is outside node ${nodeId}'s snapshot folder ${flowId}/${nodeId} (in MILLRACE_SNAPSHOT_DIR): give a name inside it`);
  if (!inside(root, wanted)) throw outside();
  await mkdir(dirname(wanted), { recursive: true });
  // a symbolic link on the way may lead out of the folder
  const parent = await realpath(dirname(wanted));
  if (parent !== root && !inside(root, parent)) throw outside();
  const path = resolve(parent, basename(wanted));
  const name = relative(top, path);
  if (await access(path).then(() => true, () => false)) throw fileExists(name);
  return { path, name };
}

function fileExists(name: string): DomainError {
  return new DomainError("CONFLICT", `the snapshot file ${name} exists already: give another name (or delete it)`);
}

/** Buffers lines and writes them to a temporary file, linked to `path` by `finish` (never replacing a file); `abandon` deletes it. */
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
    try {
      await link(this.tempPath, this.path);
    } catch (e) {
      await rm(this.tempPath, { force: true });
      if ((e as NodeJS.ErrnoException).code === "EEXIST") throw fileExists(basename(this.path));
      throw e;
    }
    await rm(this.tempPath, { force: true });
  }

  async abandon(): Promise<void> {
    await this.file.close().catch(() => {});
    await rm(this.tempPath, { force: true });
  }
}
