import { mkdir, realpath } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";

/** A node's file path that leaves the engine's files directory, named by its config field. */
export class PathOutsideFilesDir extends Error {
  constructor(nodeType: string, field: string, path: string, why: string) {
    super(`${nodeType}: ${field} "${path}" ${why}; file nodes read and write only under the engine's files directory (MILLRACE_FILES_DIR)`);
    this.name = "PathOutsideFilesDir";
  }
}

/** The files directory as it is on disk (created when missing), symlinks resolved; an error when the engine has none. */
export async function openFilesDir(nodeType: string, filesDir: string | undefined): Promise<string> {
  if (!filesDir) throw new Error(`${nodeType}: this engine has no files directory (set MILLRACE_FILES_DIR or MILLRACE_DATA); file nodes cannot start here`);
  await mkdir(filesDir, { recursive: true });
  return realpath(filesDir);
}

/** True when `real` (a resolved path) is `root` or lies under it. */
export function isInside(root: string, real: string): boolean {
  const rel = relative(root, real);
  return rel === "" || (!rel.startsWith(".." + sep) && rel !== ".." && !isAbsolute(rel));
}

/**
 * The real directory `dir` (relative to `root`) resolves to, created when `create` and missing;
 * refused when a symlink on the way leads out of `root`.
 */
export async function confinedDir(root: string, dir: string, o: { nodeType: string; field: string; path: string; create: boolean }): Promise<string | undefined> {
  const wanted = join(root, dir);
  if (!isInside(root, wanted)) throw new PathOutsideFilesDir(o.nodeType, o.field, o.path, "leaves the files directory");
  if (o.create) await mkdir(wanted, { recursive: true });
  let real: string;
  try {
    real = await realpath(wanted);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  if (!isInside(root, real)) throw new PathOutsideFilesDir(o.nodeType, o.field, o.path, `leads through a symlink to ${real}, outside the files directory`);
  return real;
}

/** The resolved file `file` (absolute), or undefined when a symlink takes it out of `root` or it is gone. */
export async function confinedFile(root: string, file: string): Promise<string | undefined> {
  try {
    const real = await realpath(file);
    return isInside(root, real) ? real : undefined;
  } catch {
    return undefined;
  }
}
