import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProcessor } from "../../../test-support/harness.js";
import { HEADER, type MRecord } from "../../sdk.js";

let server: Server;
let base = "";
const seen: { method: string; url: string; headers: Record<string, unknown>; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (req.url === "/missing") {
        res.writeHead(404, { "content-type": "text/plain" }).end("no such thing");
      } else if (req.url === "/slow") {
        setTimeout(() => res.writeHead(200).end("late"), 500);
      } else if (req.url === "/text") {
        res.writeHead(200, { "content-type": "text/plain" }).end("hello");
      } else {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ echo: body ? JSON.parse(body) : null, path: req.url, auth: req.headers.authorization ?? null }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const rec = (value: unknown): MRecord => ({ value, headers: {} });

describe("http-request", () => {
  it("POSTs the value as JSON; the JSON response becomes the value", async () => {
    const { ports } = await runProcessor("http-request", { url: `${base}/echo`, headers: { authorization: "Bearer s3cret" } }, [rec({ a: 1 }), rec({ a: 2 })]);
    expect(ports.success.map((r) => r.value)).toEqual([
      { echo: { a: 1 }, path: "/echo", auth: "Bearer s3cret" },
      { echo: { a: 2 }, path: "/echo", auth: "Bearer s3cret" },
    ]);
    expect(ports.success[0].headers["http.status"]).toBe("200");
    expect(seen.at(-1)!.headers["content-type"]).toBe("application/json");
  });
  it("urlExpression, GET, body expression, response into a header", async () => {
    const a = await runProcessor("http-request", { url: base, urlExpression: `"${base}/items/" & value.id`, method: "GET", responseTo: "header", responseHeader: "resp" }, [rec({ id: 7 })]);
    expect(a.ports.success[0].value).toEqual({ id: 7 });
    expect(JSON.parse(a.ports.success[0].headers.resp)).toMatchObject({ path: "/items/7", echo: null });
    const b = await runProcessor("http-request", { url: `${base}/text`, method: "PUT", body: '{ "x": value * 2 }' }, [rec(21)]);
    expect(b.ports.success[0].value).toBe("hello");
    expect(seen.at(-1)).toMatchObject({ method: "PUT", body: '{"x":42}' });
  });
  it("non-2xx → failure with the status", async () => {
    const { ports } = await runProcessor("http-request", { url: `${base}/missing`, method: "GET" }, [rec(1)]);
    expect(ports.success).toHaveLength(0);
    expect(ports.failure[0].headers[HEADER.error]).toBe("HTTP 404 Not Found");
    expect(ports.failure[0].headers["http.status"]).toBe("404");
    expect(ports.failure[0].value).toBe(1);
  });
  it("timeouts and connection errors → failure, without secrets", async () => {
    const t = await runProcessor("http-request", { url: `${base}/slow`, method: "GET", timeoutMs: 100 }, [rec(1)]);
    expect(t.ports.failure[0].headers[HEADER.error]).toBe("request timed out after 100 ms");
    const c = await runProcessor("http-request", { url: "http://user:hunter22@127.0.0.1:9/x", method: "GET", headers: { "x-api-key": "topsecretkey" } }, [rec(1)]);
    const reason = c.ports.failure[0].headers[HEADER.error];
    expect(reason).toMatch(/^request failed: /);
    expect(reason).not.toMatch(/hunter22|topsecretkey/);
  });
  it("keeps input order with concurrency", async () => {
    const recs = Array.from({ length: 20 }, (_, i) => rec({ i }));
    const { ports } = await runProcessor("http-request", { url: `${base}/echo`, concurrency: 5 }, recs);
    expect(ports.success.map((r) => (r.value as { echo: { i: number } }).echo.i)).toEqual(recs.map((_, i) => i));
  });
  it("a failing body expression → failure", async () => {
    const { ports } = await runProcessor("http-request", { url: `${base}/echo`, body: "$number(value)" }, [rec("x")]);
    expect(ports.failure[0].headers[HEADER.error]).toMatch(/expression failed/);
  });
});
