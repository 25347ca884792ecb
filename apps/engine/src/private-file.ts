import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Files only this OS user may read (the secret key, the embedded Postgres password): a copy that
 * others can read protects nothing, so reading one says so instead of silently using it.
 * `what` names the file in the error ("the secret key file").
 */
export function readPrivateFile(path: string, what: string, fail: (message: string) => Error = (m) => new Error(m)): string {
  const mode = statSync(path).mode & 0o777;
  if (process.platform !== "win32" && (mode & 0o077) !== 0) {
    throw fail(`${what} ${path} is readable by other users (mode ${mode.toString(8)}): run \`chmod 600 ${path}\``);
  }
  return readFileSync(path, "utf8");
}

/** Writes `text` with mode 0600, whole under another name and then renamed: a crash leaves the old or the new file, never half of one. */
export function writePrivateFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
