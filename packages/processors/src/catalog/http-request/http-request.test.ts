import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProcessor } from "../../../test-support/harness.js";
import { HEADER, type MRecord } from "../../sdk.js";
import { parseNetworkRules } from "../../net-policy.js";

let server: Server;
let base = "";
/** a second origin: it records what reaches it */
let other: Server;
let otherBase = "";
const otherSeen: Record<string, unknown>[] = [];
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
      } else if (req.url === "/huge") {
        // 64 KiB chunks, far more than any cap the tests set; stops once the client hangs up
        const chunk = Buffer.alloc(64 * 1024, "x");
        res.writeHead(200, { "content-type": "text/plain" });
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once("drain", pump);
        };
        pump();
      } else if (req.url === "/slow-body") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("start");
        setTimeout(() => res.end("late"), 1000);
      } else if (req.url === "/to-other") {
        res.writeHead(307, { location: `${otherBase}/landing` }).end();
      } else if (req.url === "/to-same") {
        res.writeHead(302, { location: "/echo" }).end();
      } else if (req.url === "/loop") {
        res.writeHead(302, { location: "/loop" }).end();
      } else if (req.url === "/text") {
        res.writeHead(200, { "content-type": "text/plain" }).end("hello");
      } else {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ echo: body ? JSON.parse(body) : null, path: req.url, auth: req.headers.authorization ?? null }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  other = createServer((req, res) => {
    otherSeen.push({ ...req.headers });
    req.resume();
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ landed: req.url, method: req.method }));
  });
  await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
  otherBase = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await new Promise<void>((r) => other.close(() => r()));
});

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

  it("a response larger than maxResponseBytes fails the record, naming the cap", async () => {
    const { ports } = await runProcessor("http-request", { url: `${base}/huge`, method: "GET", maxResponseBytes: 1_000_000 }, [rec(1)]);
    expect(ports.failure[0].headers[HEADER.error]).toBe("response larger than maxResponseBytes (1000000 bytes)");
    await expect(runProcessor("http-request", { url: base, maxResponseBytes: 200 * 1024 * 1024 })).rejects.toThrow(/at most 100 MB/);
  });
  it("the timeout covers the body, not only the headers", async () => {
    const { ports } = await runProcessor("http-request", { url: `${base}/slow-body`, method: "GET", timeoutMs: 200 }, [rec(1)]);
    expect(ports.failure[0].headers[HEADER.error]).toBe("request timed out after 200 ms");
  });
  it("a redirect to another origin loses Authorization and every configured header", async () => {
    otherSeen.length = 0;
    const { ports } = await runProcessor("http-request", { url: `${base}/to-other`, method: "POST", headers: { authorization: "Bearer s3cret", "x-api-key": "k3y", cookie: "a=b" } }, [rec({ a: 1 })]);
    expect(ports.success[0].value).toEqual({ landed: "/landing", method: "POST" });
    expect(otherSeen).toHaveLength(1);
    expect(otherSeen[0]).not.toHaveProperty("authorization");
    expect(otherSeen[0]).not.toHaveProperty("x-api-key");
    expect(otherSeen[0]).not.toHaveProperty("cookie");
    expect(JSON.stringify(otherSeen[0])).not.toMatch(/s3cret|k3y/);
  });
  it("with a connection: paths under its base URL, its credentials as headers, never to another origin", async () => {
    const connection = { type: "http" as const, name: "orders-api", baseUrl: `${base}/api`, headers: { authorization: "Bearer conn-s3cret" }, secrets: ["conn-s3cret"] };
    const records = [{ value: { id: 1 }, headers: {} }];
    const relative = await runProcessor("http-request", { connection: "orders-api", url: "items/1", method: "GET" }, records, { connection });
    expect(relative.ports.success[0]!.value).toMatchObject({ path: "/api/items/1", auth: "Bearer conn-s3cret" });
    const baseOnly = await runProcessor("http-request", { connection: "orders-api", method: "GET" }, records, { connection });
    expect(baseOnly.ports.success[0]!.value).toMatchObject({ path: "/api" });
    const elsewhere = await runProcessor("http-request", { connection: "orders-api", url: `${otherBase}/x`, method: "GET" }, records, { connection });
    expect(elsewhere.ports.failure[0]!.headers[HEADER.error]).toBe(`${otherBase} is not the origin of connection "orders-api" (${base}): its credentials go there only`);
    expect(otherSeen.some((h) => JSON.stringify(h).includes("conn-s3cret"))).toBe(false);
  });

  it("a same-origin redirect keeps the headers; a redirect loop stops at maxRedirects", async () => {
    const a = await runProcessor("http-request", { url: `${base}/to-same`, method: "GET", headers: { authorization: "Bearer s3cret" } }, [rec(1)]);
    expect(a.ports.success[0].value).toMatchObject({ path: "/echo", auth: "Bearer s3cret" });
    const b = await runProcessor("http-request", { url: `${base}/loop`, method: "GET", maxRedirects: 3 }, [rec(1)]);
    expect(b.ports.failure[0].headers[HEADER.error]).toBe("too many redirects (maxRedirects 3)");
  });
  it("the engine's deny list refuses link-local addresses, also behind a host name", async () => {
    const network = { deny: parseNetworkRules(["169.254.0.0/16", "fe80::/10", "127.0.0.0/8", "::1"], "deny") };
    const { ports } = await runProcessor("http-request", { url: "http://169.254.169.254/latest/meta-data/", method: "GET" }, [rec(1)], { network });
    expect(ports.failure[0].headers[HEADER.error]).toBe("refused by the network policy: 169.254.169.254:80 is denied (169.254.0.0/16)");
    const port = new URL(base).port;
    const byName = await runProcessor("http-request", { url: `http://localhost:${port}/echo`, method: "GET" }, [rec(1)], { network });
    expect(byName.ports.failure[0].headers[HEADER.error]).toMatch(/^refused by the network policy: localhost:\d+ \(.+\) is denied/);
    // a redirect into a denied network is refused at that hop
    const hop = await runProcessor("http-request", { url: `${base}/to-other`, method: "GET", denyHosts: [`127.0.0.1:${new URL(otherBase).port}`] }, [rec(1)]);
    expect(hop.ports.failure[0].headers[HEADER.error]).toMatch(/^refused by the network policy: 127\.0\.0\.1:\d+ is denied/);
  });
  it("an allow list permits only the listed hosts", async () => {
    const allowHosts = [`127.0.0.1:${new URL(base).port}`];
    const ok = await runProcessor("http-request", { url: `${base}/echo`, method: "GET", allowHosts }, [rec(1)]);
    expect(ok.ports.success).toHaveLength(1);
    const no = await runProcessor("http-request", { url: `${otherBase}/x`, method: "GET", allowHosts }, [rec(1)]);
    expect(no.ports.failure[0].headers[HEADER.error]).toMatch(/is not in the allow list$/);
    await expect(runProcessor("http-request", { url: base, allowHosts: ["10.0.0.0/99"] })).rejects.toThrow(/prefix length/);
  });
});
