import { createReadStream, existsSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, normalize, sep } from "node:path";

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

/**
 * Serves the built web app. Unknown paths without an extension get index.html so
 * client-side routes survive a reload.
 */
export function serveStatic(root: string) {
  const base = normalize(root + sep);
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", "http://x");
    let file = normalize(join(root, decodeURIComponent(url.pathname)));
    if (!file.startsWith(base) && file !== normalize(root)) {
      res.writeHead(400).end("bad path");
      return;
    }
    if (!existsSync(file) || statSync(file).isDirectory()) {
      if (extname(file) && !file.endsWith(".html")) {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      file = join(root, "index.html");
      if (!existsSync(file)) {
        res.writeHead(503, { "content-type": "text/plain" }).end("the web app is not built: run `pnpm build`");
        return;
      }
    }
    const immutable = url.pathname.startsWith("/assets/");
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
    });
    createReadStream(file).pipe(res);
  };
}
