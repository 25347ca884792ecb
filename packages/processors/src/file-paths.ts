/**
 * The lexical half of keeping file-source and file-sink inside the engine's files directory
 * (browser-safe, so validation refuses an escape before deployment). Symlinks can only be judged
 * on the engine's disk: `files-dir.ts` does that when a node starts.
 */

/** Why `path` may not name something under the files directory (undefined: it may). */
export function relativePathProblem(path: string): string | undefined {
  if (path.includes("\0")) return "the path contains a NUL character";
  if (path.includes("\\")) return "use / to separate directories (a backslash is not allowed)";
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) return "the path is relative to the engine's files directory (MILLRACE_FILES_DIR), not absolute";
  const segments = path.split("/");
  if (segments.includes("..")) return "'..' would leave the engine's files directory (MILLRACE_FILES_DIR)";
  if (segments[segments.length - 1] === "" || segments[segments.length - 1] === ".") return "the path names a directory; it must end with a file name (or a pattern)";
  return undefined;
}
