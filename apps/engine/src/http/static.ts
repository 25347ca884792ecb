import { createReadStream, readFileSync, statSync, type Stats } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { securityHeaders } from "./security-headers.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".wasm": "application/wasm",
  ".woff2": "font/woff2",
  ".map": "application/json",
};

function fileStats(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

/** The decoded path, or undefined when it is not valid percent-encoded UTF-8 or holds a NUL. */
function decodedPath(pathname: string): string | undefined {
  try {
    const path = decodeURIComponent(pathname);
    return path.includes("\0") ? undefined : path;
  } catch {
    return undefined;
  }
}

/**
 * Serves the built web app. Unknown paths without an extension get index.html so
 * client-side routes survive a reload.
 */
export function serveStatic(root: string) {
  const base = normalize(root + sep);
  // index.html is rebuilt by `pnpm build` while the engine may run: its script hashes follow its mtime
  let indexHeaders: { mtimeMs: number; headers: Record<string, string> } | undefined;
  const headersFor = (file: string, stats: Stats): Record<string, string> => {
    if (!file.endsWith(".html")) return securityHeaders();
    if (file !== join(root, "index.html")) return securityHeaders(readFileSync(file, "utf8"));
    if (indexHeaders?.mtimeMs !== stats.mtimeMs) indexHeaders = { mtimeMs: stats.mtimeMs, headers: securityHeaders(readFileSync(file, "utf8")) };
    return indexHeaders.headers;
  };
  return (req: IncomingMessage, res: ServerResponse): void => {
    const pathname = new URL(req.url ?? "/", "http://x").pathname;
    const decoded = decodedPath(pathname);
    if (decoded === undefined) {
      res.writeHead(400, { "content-type": "text/plain" }).end("bad path: not valid percent-encoded UTF-8\n");
      return;
    }
    let file = normalize(join(root, decoded));
    if (!file.startsWith(base) && file !== normalize(root)) {
      res.writeHead(400, { "content-type": "text/plain" }).end("bad path\n");
      return;
    }
    let stats = fileStats(file);
    if (!stats || stats.isDirectory()) {
      if (extname(file) && !file.endsWith(".html")) {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      file = join(root, "index.html");
      stats = fileStats(file);
      if (!stats) {
        res.writeHead(503, { "content-type": "text/plain" }).end("the web app is not built: run `pnpm build`");
        return;
      }
    }
    const immutable = pathname.startsWith("/assets/");
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
      ...headersFor(file, stats),
    });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    // a file removed between stat and read (a rebuild) ends this answer, not the engine
    createReadStream(file)
      .on("error", () => res.destroy())
      .pipe(res);
  };
}
