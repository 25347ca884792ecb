import { connect } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@millrace/testkit";
import { flowDoc, readTopic, uid, adminToken, bearer } from "../../test-support/index.js";
import { startTestEngine, type TestEngine } from "../../test-support/engine-harness.js";

/** Sends raw bytes and collects everything the engine answers until it closes the connection. */
function raw(port: number, text: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let out = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got: ${out}`));
    }, timeoutMs);
    socket.on("data", (d) => (out += d));
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.write(text);
  });
}

const INDEX = `<!doctype html><html><head><title>t</title></head><body><script>window.x = 1;</script><script type="module" src="/assets/a.js"></script></body></html>`;

describe("the engine's HTTP surface", () => {
  let t: TestEngine;
  let webDist: string;
  const REQUEST_TIMEOUT_MS = 1_500;
  const MAX_BODY = 64 * 1024;

  let auth: { authorization: string };
  beforeAll(async () => {
    webDist = mkdtempSync(join(tmpdir(), "mr-web-"));
    writeFileSync(join(webDist, "index.html"), INDEX);
    t = await startTestEngine("http", { webDist, http: { requestTimeoutMs: REQUEST_TIMEOUT_MS, maxBodyBytes: MAX_BODY, allowedHosts: ["millrace.example"] } });
    auth = bearer(await adminToken(t.engine.services));
  });
  afterAll(async () => {
    await t?.close();
    if (webDist) rmSync(webDist, { recursive: true, force: true });
  });

  const alive = async () => expect([200, 503]).toContain((await fetch(`${t.engine.url}/healthz`)).status);

  it("answers malformed URLs and requests with 400 and keeps serving", async () => {
    for (const path of ["/%ff", "/%", "/a%zz", "/%00", "/assets/%c0%af"]) {
      const r = await fetch(t.engine.url + path);
      expect(r.status, path).toBe(400);
      expect(await r.text()).toMatch(/bad path/);
    }
    expect(await raw(t.engine.port, "GET /%ff HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")).toMatch(/^HTTP\/1.1 400/);
    expect(await raw(t.engine.port, "GET http://[bad HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")).toMatch(/^HTTP\/1.1 400[^]*not a URL path/);
    expect(await raw(t.engine.port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nbad header line\r\n\r\n")).toMatch(/^HTTP\/1.1 400[^]*malformed HTTP request/);
    expect(await raw(t.engine.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${"a".repeat(40_000)}\r\n\r\n`)).toMatch(/^HTTP\/1.1 431/);
    expect(await raw(t.engine.port, `POST /trpc/flows.save HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${auth.authorization}\r\nContent-Type: application/json\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{nope`)).toMatch(/^HTTP\/1.1 400/);
    await alive();
  });

  it("refuses a /trpc body over the limit with 413, by its declared length or as it streams", async () => {
    const big = JSON.stringify({ text: "x".repeat(MAX_BODY + 10) });
    const declared = await fetch(`${t.engine.url}/trpc/flows.import`, { method: "POST", headers: { "content-type": "application/json" }, body: big });
    expect(declared.status).toBe(413);
    expect(await declared.text()).toMatch(/larger than 65536 bytes \(MILLRACE_MAX_BODY_MB/);
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 20; i++) c.enqueue(new TextEncoder().encode("x".repeat(16 * 1024)));
        c.close();
      },
    });
    const streamed = await fetch(`${t.engine.url}/trpc/flows.import`, { method: "POST", headers: { "content-type": "application/json", ...auth }, body: chunks, duplex: "half" } as RequestInit);
    expect(streamed.status).toBe(413);
    // under the limit still works
    const ok = await fetch(`${t.engine.url}/trpc/flows.validate`, { method: "POST", headers: { "content-type": "application/json", ...auth }, body: JSON.stringify({ document: { x: "y".repeat(1000) } }) });
    expect(ok.status).toBe(200);
    await alive();
  });

  it("cuts off a client that trickles its request within the request timeout", { timeout: 15_000 }, async () => {
    const socket = connect(t.engine.port, "127.0.0.1");
    const started = Date.now();
    let answer = "";
    socket.on("data", (d) => (answer += d));
    socket.on("error", () => {});
    socket.write(`POST /trpc/flows.validate HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${auth.authorization}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`);
    const drip = setInterval(() => socket.writable && socket.write("a"), 500);
    const closedAfter = await new Promise<number>((resolve) => socket.on("close", () => resolve(Date.now() - started)));
    clearInterval(drip);
    expect(closedAfter).toBeLessThan(REQUEST_TIMEOUT_MS + 2_000);
    expect(answer).toMatch(/^HTTP\/1.1 408/);
    // headers that never end are cut off too
    const headersOnly = Date.now();
    const slowHeaders = connect(t.engine.port, "127.0.0.1");
    slowHeaders.on("error", () => {});
    slowHeaders.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    const drip2 = setInterval(() => slowHeaders.writable && slowHeaders.write("X-A: b\r\n"), 500);
    await new Promise<void>((resolve) => slowHeaders.on("close", () => resolve()));
    clearInterval(drip2);
    expect(Date.now() - headersOnly).toBeLessThan(REQUEST_TIMEOUT_MS + 2_000);
    await alive();
  });

  it("keeps a subscription's event stream open past the request timeout", async () => {
    const ac = new AbortController();
    const input = encodeURIComponent(JSON.stringify({ flowId: "nope", intervalMs: 500 }));
    const r = await fetch(`${t.engine.url}/trpc/stats.live?input=${input}`, { headers: { accept: "text/event-stream", ...auth }, signal: ac.signal });
    expect(r.status).toBe(200);
    const reader = r.body!.getReader();
    const until = Date.now() + REQUEST_TIMEOUT_MS * 2.5;
    let received = 0;
    while (Date.now() < until) {
      const { done, value } = await reader.read();
      expect(done).toBe(false);
      received += value?.length ?? 0;
    }
    expect(received).toBeGreaterThan(0);
    ac.abort();
  });

  it("refuses a Host it does not know (DNS rebinding) and names the setting; IP addresses and configured names pass", async () => {
    const refused = await raw(t.engine.port, "GET /healthz HTTP/1.1\r\nHost: attacker.example:8080\r\nConnection: close\r\n\r\n");
    expect(refused).toMatch(/^HTTP\/1.1 421/);
    expect(refused).toMatch(/"attacker.example"[^]*MILLRACE_ALLOWED_HOSTS/);
    for (const host of ["localhost:1", "127.0.0.1", "[::1]:8080", "10.1.2.3:8080", "millrace.example", "MILLRACE.example.:80"]) {
      expect(await raw(t.engine.port, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`), host).toMatch(/^HTTP\/1.1 (200|503)/);
    }
  });

  it("refuses a cross-site POST to the API with 403; same-origin and program calls pass", async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${t.engine.url}/trpc/flows.validate`, { method: "POST", headers: { "content-type": "application/json", ...auth, ...headers }, body: JSON.stringify({ document: {} }) });
    const crossSite = await post({ origin: "https://evil.example" });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.text()).toMatch(/evil.example/);
    expect((await post({ "sec-fetch-site": "cross-site", origin: t.engine.url })).status).toBe(403);
    expect((await post({ "sec-fetch-site": "same-site" })).status).toBe(403);
    expect((await post({ origin: t.engine.url.replace(/:\d+$/, ":1") })).status).toBe(403);
    expect((await post({ origin: t.engine.url })).status).toBe(200);
    expect((await post({ "sec-fetch-site": "same-origin", origin: "http://localhost:5173" })).status).toBe(200); // the Vite dev proxy
    expect((await post({})).status).toBe(200);
  });

  it("sends security headers with the designer, its Content-Security-Policy allowing index.html's inline script by hash", async () => {
    const r = await fetch(`${t.engine.url}/`);
    expect(r.status).toBe(200);
    const csp = r.headers.get("content-security-policy")!;
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    expect(r.headers.get("x-frame-options")).toBe("DENY");
    expect(r.headers.get("referrer-policy")).toBe("no-referrer");
    const { createHash } = await import("node:crypto");
    expect(csp).toContain(`'sha256-${createHash("sha256").update("window.x = 1;").digest("base64")}'`);
  });

  it("http-listen stops reading at its size cap, answers 413 and writes nothing", async () => {
    const id = uid("ingest");
    const sink = uid("ingest-sink");
    const path = `/ingest-${id}`;
    await t.api.flows.save({ document: flowDoc(id, [["in", "http-listen", { path }], ["out", "kafka-sink", { topic: sink }]], [["in", "success", "out"]]) });
    await t.api.deployments.deploy({ flowId: id });
    try {
      await waitFor(async () => (await t.api.deployments.status({ flowId: id })).local?.stages.find((s: any) => s.id === "in")?.owner, 15_000, "the source to start");
      const declared = await fetch(t.engine.url + path, { method: "POST", body: "x".repeat(1024 * 1024 + 1) });
      expect(declared.status).toBe(413);
      const streamed = await raw(t.engine.port, `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n` + `4000\r\n${"y".repeat(0x4000)}\r\n`.repeat(80));
      expect(streamed).toMatch(/^HTTP\/1.1 413[^]*nothing was written/);
      expect((await fetch(t.engine.url + path, { method: "POST", body: '{"n":1}' })).status).toBe(202);
      const records = await readTopic(t.brokers, sink, (rs) => rs.length >= 1);
      expect(records.map((r) => r.value)).toEqual([{ n: 1 }]);
    } finally {
      await t.api.deployments.stop({ flowId: id }).catch(() => {});
    }
  });
});
