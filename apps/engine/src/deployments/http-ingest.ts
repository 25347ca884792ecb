import type { IncomingMessage, ServerResponse } from "node:http";
import type { MRecord } from "@millrace/processors";
import type { DeploymentManager } from "./manager.js";

const MAX_BODY = 1024 * 1024;

/**
 * Serves the ingress paths deployed plans declare (a planned node's `ingress`, e.g. an
 * http-listen source's path). Such a source runs on exactly one engine; this engine answers 202
 * when it holds the source and buffered the record, 503 (with Retry-After) when the source is
 * full, paused or runs on another engine (retry, or send to that engine), and returns false for
 * paths no deployed flow listens on.
 */
export function handleHttpIngest(manager: DeploymentManager, req: IncomingMessage, res: ServerResponse, path: string): boolean {
  const source = manager.ingressSource(path);
  if (!source) {
    if (!manager.servesIngressPath(path)) return false;
    res.writeHead(503, { "content-type": "text/plain", "retry-after": "1" }).end("this path is served by another Millrace engine right now; retry\n");
    return true;
  }
  if (req.method === "GET" || req.method === "HEAD") return false; // the web app keeps GET
  const tooBig = () => {
    // stop reading: what is beyond the cap is never buffered, and the connection goes with the answer
    req.pause();
    res.writeHead(413, { "content-type": "text/plain", connection: "close" }).end(`body larger than ${MAX_BODY} bytes; nothing was written\n`);
  };
  if (Number(req.headers["content-length"]) > MAX_BODY) {
    tooBig();
    return true;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (c: Buffer) => {
    size += c.length;
    if (size <= MAX_BODY) {
      chunks.push(c);
      return;
    }
    req.off("data", onData);
    chunks.length = 0;
    tooBig();
  };
  req.on("data", onData);
  req.on("end", () => {
    if (size > MAX_BODY) return;
    const text = Buffer.concat(chunks).toString("utf8");
    let value: unknown = text;
    if (text.length) {
      try {
        value = JSON.parse(text);
      } catch {
        value = text;
      }
    } else value = null;
    const headers: Record<string, string> = { "http.method": req.method ?? "POST", "http.path": path };
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[`http.${k}`] = Array.isArray(v) ? v.join(", ") : v;
    const record: MRecord = { value, headers };
    if (source.offer(record)) res.writeHead(202, { "content-type": "application/json" }).end('{"accepted":true}\n');
    else res.writeHead(503, { "content-type": "text/plain", "retry-after": "1" }).end("the flow is not accepting records right now (full or paused); retry\n");
  });
  req.on("error", () => res.destroy());
  return true;
}
