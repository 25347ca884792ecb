import { opendir } from "node:fs/promises";
import { join } from "node:path";

/**
 * The glob of file-source's `path`: `*` and `?` within one directory level, `**` across levels,
 * `[abc]` a character class. Matching is on paths relative to the files directory, `/`-separated.
 */
export interface Glob {
  /** the leading directories without wildcards: the walk starts there */
  base: string;
  /** how many levels below `base` a match may lie (Infinity with `**`) */
  depth: number;
  matches(relativePath: string): boolean;
}

const WILD = /[*?[]/;

export function compileGlob(pattern: string): Glob {
  const segments = pattern.split("/");
  let fixed = 0;
  while (fixed < segments.length - 1 && !WILD.test(segments[fixed]!)) fixed++;
  const rest = segments.slice(fixed);
  let source = "";
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg === "**") {
      source += i === segments.length - 1 ? ".*" : "(?:[^/]+/)*";
      continue;
    }
    source += segmentSource(seg) + (i < segments.length - 1 ? "/" : "");
  }
  const re = new RegExp(`^${source}$`);
  return {
    base: segments.slice(0, fixed).join("/"),
    depth: rest.includes("**") ? Infinity : rest.length,
    matches: (p) => re.test(p),
  };
}

function segmentSource(seg: string): string {
  let out = "";
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const end = seg.indexOf("]", i + 2);
      if (end < 0) out += "\\[";
      else {
        const body = seg.slice(i + 1, end).replace(/\\/g, "\\\\");
        out += body.startsWith("!") ? `[^/${body.slice(1)}]` : `[${body}]`;
        i = end;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return out;
}

/**
 * Files under `dir` (the real directory of `glob.base`) whose relative path matches, at most
 * `limit` of them, sorted. Symlinked directories are not descended into; symlinked files are
 * returned (the caller checks where they lead).
 */
export async function listMatches(dir: string, glob: Glob, limit: number): Promise<{ files: string[]; truncated: boolean }> {
  const files: string[] = [];
  let truncated = false;
  const prefix = glob.base ? glob.base + "/" : "";
  const walk = async (abs: string, rel: string, level: number): Promise<void> => {
    let handle;
    try {
      handle = await opendir(abs);
    } catch {
      return; // gone or unreadable: nothing to tail there
    }
    for await (const entry of handle) {
      if (truncated) break;
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (level + 1 < glob.depth) await walk(join(abs, entry.name), childRel, level + 1);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && glob.matches(prefix + childRel)) {
        if (files.length >= limit) truncated = true;
        else files.push(prefix + childRel);
      }
    }
  };
  await walk(dir, "", 0);
  files.sort();
  return { files, truncated };
}
