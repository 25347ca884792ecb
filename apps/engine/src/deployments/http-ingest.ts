import type { IncomingMessage, ServerResponse } from "node:http";
import { HEADER, type MRecord, type OfferableSource } from "@millrace/processors";
import type { HttpListenAccess, HttpListenSource } from "@millrace/processors/runtime";
import type { Authenticate } from "../auth/index.js";
import { errorMessage, logger } from "../log.js";
import { ANONYMOUS, checkIngest, copiesHeader, isRefusal, needsBody, type IngestCaller, type IngestRefusal } from "./ingest-auth.js";
import type { DeploymentManager } from "./manager.js";

const MAX_BODY = 1024 * 1024;

const log = logger.child({ module: "http-ingest" });

/**
 * Serves the ingress paths deployed plans declare (a planned node's `ingress`, e.g. an
 * http-listen source's path). Such a source runs on exactly one engine; this engine answers 202
 * when it holds the source and buffered the record, 503 (with Retry-After) when the source is
 * full, paused or runs on another engine (retry, or send to that engine), and returns false for
 * paths no deployed flow listens on. A request that fails the source's `auth` gets 401 and
 * writes nothing; an accepted one's record names its caller (mr.principal, mr.auth).
 */
export function handleHttpIngest(manager: DeploymentManager, authenticate: Authenticate, req: IncomingMessage, res: ServerResponse, path: string): boolean {
  const source = manager.ingressSource(path);
  if (!source) {
    if (!manager.servesIngressPath(path)) return false;
    res.writeHead(503, { "content-type": "text/plain", "retry-after": "1" }).end("this path is served by another Millrace engine right now; retry\n");
    return true;
  }
  if (req.method === "GET" || req.method === "HEAD") return false; // the web app keeps GET
  req.on("error", () => res.destroy());
  const access = accessOf(source);
  const failed = (e: unknown) => {
    log.error({ err: e, path }, `checking the credentials of a request to ${path} failed: ${errorMessage(e)}; the caller got 500 and nothing was written (is Postgres reachable?)`);
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain", connection: "close" }).end("could not check the request's credentials; nothing was written\n");
  };
  const answer = (caller: IngestCaller | IngestRefusal, body: Buffer) => (isRefusal(caller) ? refuse(req, res, caller) : offer(req, res, path, access, source, body, caller));
  // a signature needs the body; every other check runs first, so a refused caller's body is never read
  if (access.auth === "none") readBody(req, res, (body) => offer(req, res, path, access, source, body, ANONYMOUS));
  else if (needsBody(access)) readBody(req, res, (body) => checkIngest(access, req.headers, body, authenticate).then((c) => answer(c, body), failed));
  else
    checkIngest(access, req.headers, undefined, authenticate).then((c) => {
      if (isRefusal(c)) refuse(req, res, c);
      else readBody(req, res, (body) => answer(c, body));
    }, failed);
  return true;
}

function accessOf(source: OfferableSource): HttpListenAccess {
  return (source as Partial<HttpListenSource>).access ?? { auth: "none" };
}

function refuse(req: IncomingMessage, res: ServerResponse, r: IngestRefusal): void {
  // not read on: the connection goes with the answer
  req.pause();
  const headers: Record<string, string> = { "content-type": "text/plain", connection: "close" };
  if (r.challenge) headers["www-authenticate"] = r.challenge;
  res.writeHead(401, headers).end(`${r.refused}\n`);
}

/** Reads the body up to MAX_BODY (413 beyond it, without reading on) and hands it to `then`. */
function readBody(req: IncomingMessage, res: ServerResponse, then: (body: Buffer) => void): void {
  const tooBig = () => {
    // stop reading: what is beyond the cap is never buffered, and the connection goes with the answer
    req.pause();
    res.writeHead(413, { "content-type": "text/plain", connection: "close" }).end(`body larger than ${MAX_BODY} bytes; nothing was written\n`);
  };
  if (Number(req.headers["content-length"]) > MAX_BODY) {
    tooBig();
    return;
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
    if (size <= MAX_BODY) then(Buffer.concat(chunks));
  });
}

/** A checked request as a record for the source: 202 when buffered, 503 when the source is full or paused. */
function offer(req: IncomingMessage, res: ServerResponse, path: string, access: HttpListenAccess, source: OfferableSource, body: Buffer, caller: IngestCaller): void {
  const text = body.toString("utf8");
  let value: unknown = text;
  if (text.length) {
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
  } else value = null;
  const headers: Record<string, string> = { "http.method": req.method ?? "POST", "http.path": path, [HEADER.principal]: caller.principal, [HEADER.auth]: caller.auth };
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && copiesHeader(access, k)) headers[`http.${k}`] = Array.isArray(v) ? v.join(", ") : v;
  const record: MRecord = { value, headers };
  if (source.offer(record)) res.writeHead(202, { "content-type": "application/json" }).end('{"accepted":true}\n');
  else res.writeHead(503, { "content-type": "text/plain", "retry-after": "1" }).end("the flow is not accepting records right now (full or paused); retry\n");
}
