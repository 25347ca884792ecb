import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConnection, type HttpConnection, type SchemaRegistryConnection } from "@millrace/flow";
import { parseNetworkRules } from "@millrace/processors";
import { freePort } from "@millrace/testkit";
import { testHttpConnection } from "./http-test.js";

function connection<T extends HttpConnection | SchemaRegistryConnection>(doc: Record<string, unknown>): T {
  const r = parseConnection(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value as T;
}

describe("testing an HTTP or schema registry connection", () => {
  let server: Server;
  let base: string;
  const seen: { path: string; headers: IncomingHttpHeaders }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ path: req.url ?? "", headers: req.headers });
      const auth = req.headers.authorization ?? req.headers["x-api-key"];
      if (req.url?.startsWith("/forbidden")) res.writeHead(403).end();
      else if (auth === "Bearer right" || auth === "key-1" || auth === `Basic ${Buffer.from("u:p").toString("base64")}`) res.writeHead(200, { "content-type": "application/json" }).end("[]");
      else res.writeHead(401).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("answers ok when the endpoint takes the credentials, sending each kind as it should", async () => {
    for (const auth of [{ type: "bearer", token: "right" }, { type: "header", name: "X-Api-Key", value: "key-1" }, { type: "basic", username: "u", password: "p" }]) {
      expect(await testHttpConnection(connection({ name: "api", type: "http", baseUrl: `${base}/v1`, auth }), undefined)).toMatchObject({ ok: true, detail: `connection "api" (GET ${base}/v1): 200 OK` });
    }
    expect(seen.at(-1)?.path).toBe("/v1");
  });

  it("tells wrong credentials (401) from a refusal (403), without quoting the secret", async () => {
    const wrong = await testHttpConnection(connection({ name: "api", type: "http", baseUrl: base, auth: { type: "bearer", token: "wrong-token-77" } }), undefined);
    expect(wrong).toMatchObject({ ok: false, reason: "wrong-credentials" });
    expect(JSON.stringify(wrong)).not.toContain("wrong-token-77");
    expect(await testHttpConnection(connection({ name: "api", type: "http", baseUrl: `${base}/forbidden` }), undefined)).toMatchObject({ ok: false, reason: "not-authorized" });
  });

  it("asks a schema registry for /subjects with basic auth", async () => {
    const sr = connection<SchemaRegistryConnection>({ name: "sr", type: "schema-registry", url: `${base}/registry`, auth: { username: "u", password: "p" } });
    expect(await testHttpConnection(sr, undefined)).toMatchObject({ ok: true });
    expect(seen.at(-1)?.path).toBe("/registry/subjects");
  });

  it("is unreachable on a closed port, and refused by the engine's network policy before connecting", async () => {
    const closed = await testHttpConnection(connection({ name: "api", type: "http", baseUrl: `http://127.0.0.1:${await freePort()}` }), undefined);
    expect(closed).toMatchObject({ ok: false, reason: "unreachable", detail: expect.stringContaining("ECONNREFUSED") });
    const before = seen.length;
    const policy = { deny: parseNetworkRules(["127.0.0.0/8"], "MILLRACE_HTTP_DENY") };
    const refused = await testHttpConnection(connection({ name: "api", type: "http", baseUrl: base, auth: { type: "bearer", token: "right" } }), policy);
    expect(refused).toMatchObject({ ok: false, reason: "not-authorized", detail: expect.stringContaining("refused by the network policy") });
    const named = await testHttpConnection(connection({ name: "api", type: "http", baseUrl: base.replace("127.0.0.1", "localhost") }), policy);
    expect(named).toMatchObject({ ok: false, reason: "not-authorized" });
    expect(seen.length).toBe(before);
  });
});
