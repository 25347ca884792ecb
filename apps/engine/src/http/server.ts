import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { HttpSettings } from "../config.js";
import type { Logger } from "../log.js";
import type { HostCheck } from "./host-check.js";

export type RequestHandler = (req: IncomingMessage, res: ServerResponse, path: string) => void | Promise<void>;

/**
 * Answers with a plain-text message. A request whose body is still unread gets its connection
 * closed: reading (or draining) what it still sends is exactly what a refusal must not do.
 */
export function refuse(req: IncomingMessage, res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const close = !req.complete;
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...(close ? { connection: "close" } : {}), ...headers }).end(`${message}\n`);
}

/** The path of a request target, or undefined when it is no URL at all. */
export function requestPath(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url, "http://engine").pathname;
  } catch {
    return undefined;
  }
}

/** Server-sent events (tRPC subscriptions) stream for as long as the client watches. */
export function wantsEventStream(req: IncomingMessage): boolean {
  return (req.headers.accept ?? "").includes("text/event-stream");
}

/**
 * The engine's HTTP server: every request is checked (target, Host) before the handler sees
 * it; the handler's exceptions, sync or async, become a 500 (or a closed connection when the
 * answer had started) and a log line, never a crash; a malformed request gets a 4xx saying why;
 * headers, the whole request and idle connections are timed so a slow or silent client cannot
 * hold a socket.
 */
export function createHttpServer(settings: HttpSettings, hosts: HostCheck, log: Logger, handle: RequestHandler): Server {
  const server = createServer(
    {
      requestTimeout: settings.requestTimeoutMs,
      headersTimeout: Math.min(settings.headersTimeoutMs, settings.requestTimeoutMs),
      keepAliveTimeout: settings.keepAliveTimeoutMs,
      // how often Node looks for requests over their time; its default (30 s) would let short limits run long
      connectionsCheckingInterval: Math.max(100, Math.min(1000, settings.requestTimeoutMs / 4)),
    },
    (req, res) => {
      const path = requestPath(req.url);
      if (path === undefined) return refuse(req, res, 400, `bad request target: ${JSON.stringify((req.url ?? "").slice(0, 200))} is not a URL path`);
      const refusedHost = hosts.refused(req.headers.host);
      if (refusedHost !== undefined) {
        return refuse(req, res, 421, `this engine does not answer to the host name "${refusedHost.slice(0, 200)}" (DNS rebinding protection); ` +
          `if you reach it by that name, add it to MILLRACE_ALLOWED_HOSTS (comma-separated) and restart`);
      }
      // A non-streaming answer that stalls (a hung dependency) must not hold the socket forever.
      if (!wantsEventStream(req)) {
        res.setTimeout(settings.responseIdleTimeoutMs, () => {
          log.warn({ method: req.method, path }, `${req.method} ${path} sent nothing for ${settings.responseIdleTimeoutMs} ms; connection closed`);
          if (!res.headersSent) refuse(req, res, 503, "the engine took too long to answer; retry", { connection: "close" });
          res.destroy();
        });
      }
      const failed = (err: unknown) => {
        log.error({ err, method: req.method, path }, `${req.method} ${path} failed: ${err instanceof Error ? err.message : String(err)}; answered 500, the engine keeps serving (a bug: report it with this stack)`);
        refuse(req, res, 500, "internal error; the engine logged it and keeps running");
      };
      try {
        const result = handle(req, res, path);
        if (result) result.catch(failed);
      } catch (err) {
        failed(err);
      }
    },
  );
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => answerClientError(err, socket));
  return server;
}

/** What Node's parser or timers refuse, answered with a reason instead of a bare status. */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  // an answer already under way cannot get a second status line
  const answering = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (!socket.writable || err.code === "ECONNRESET" || answering?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, reason, message] =
    err.code === "HPE_HEADER_OVERFLOW" ? [431, "Request Header Fields Too Large", "the request headers are too large"]
    : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? [408, "Request Timeout", "the request was not received in time; connection closed"]
    : [400, "Bad Request", `malformed HTTP request (${err.code ?? "parse error"})`];
  const body = `${message}\n`;
  // destroyed once written: the server's sockets are half-open, and a slow sender would otherwise keep sending
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`, () => socket.destroy());
}
