import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DomainError } from "../errors.js";
import { logger } from "../log.js";
import type { RegistryCaller } from "./credentials.js";
import { incompatible, RegistryError, subjectNotFound } from "./errors.js";
import { createRegistryHttpHandler, type RegistryWrite } from "./http.js";
import { parseVersionRef, type SchemaRegistry } from "./registry.js";

const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
const callers: Record<string, RegistryCaller> = {
  viewer: { name: "vera", role: "viewer", via: "basic-password" },
  editor: { name: "ed", role: "editor", via: "basic-token" },
};

/** Only what these requests reach; each answers what a real registry would for the case. */
const registry = {
  subjects: async () => ["a", "b/c"],
  versions: async (s: string) => {
    if (s === "b/c") return [1];
    throw subjectNotFound(s);
  },
  version: async (s: string, v: number | "latest") => ({ subject: s, version: v === "latest" ? 3 : v, id: 9, schema: '{"type":"string"}' }),
  register: async (s: string, body: { schema?: string }) => {
    if (body.schema === "bad") throw incompatible(s, ["BACKWARD: nope"]);
    if (body.schema === "boom") throw new Error("database gone");
    return { id: 42, version: 1, created: true };
  },
} as unknown as SchemaRegistry;

describe("the registry's REST surface", () => {
  let server: Server;
  let url: string;
  const audited: [string, RegistryWrite, unknown][] = [];

  beforeAll(async () => {
    const handle = createRegistryHttpHandler({
      registry,
      caller: async (req) => {
        if (req.headers["x-test-caller"] === "guesser") throw new DomainError("TOO_MANY", "too many failed logins; try again in 42 s");
        return callers[String(req.headers["x-test-caller"])];
      },
      audit: async (caller, _req, write, outcome) => void audited.push([caller.name, write, outcome]),
      maxBodyBytes: 1000,
      log: logger.child({ module: "test" }),
    });
    server = createServer((req, res) => {
      if (!handle(req, res, new URL(req.url!, "http://x").pathname)) res.writeHead(404).end("elsewhere");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/schema-registry`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  async function call(path: string, init: { method?: string; as?: string; body?: string; type?: string } = {}) {
    const r = await fetch(`${url}${path}`, {
      method: init.method ?? "GET",
      headers: { ...(init.as ? { "x-test-caller": init.as } : {}), ...(init.body !== undefined ? { "content-type": init.type ?? CONTENT_TYPE } : {}) },
      body: init.body,
    });
    return { status: r.status, type: r.headers.get("content-type"), auth: r.headers.get("www-authenticate"), body: (await r.json()) as unknown };
  }

  it("answers in Confluent's content type, subjects percent-decoded", async () => {
    expect(await call("/subjects", { as: "viewer" })).toMatchObject({ status: 200, type: CONTENT_TYPE, body: ["a", "b/c"] });
    expect(await call("/subjects/b%2Fc/versions", { as: "viewer" })).toMatchObject({ status: 200, body: [1] });
    expect(await call("/subjects/x/versions/latest/schema", { as: "viewer" })).toMatchObject({ status: 200, body: { type: "string" } });
  });

  it("maps refusals to Confluent's status and error_code", async () => {
    expect(await call("/subjects/nope/versions", { as: "viewer" })).toMatchObject({ status: 404, body: { error_code: 40401, message: "Subject 'nope' not found." } });
    expect(await call("/subjects/x/versions/0", { as: "viewer" })).toMatchObject({ status: 422, body: { error_code: 42202 } });
    expect(await call("/subjects/x/versions", { method: "POST", as: "editor", body: JSON.stringify({ schema: "bad" }) })).toMatchObject({ status: 409, body: { error_code: 409 } });
    expect(await call("/subjects/x/versions", { method: "POST", as: "editor", body: "{oops" })).toMatchObject({ status: 400, body: { error_code: 400 } });
    expect(await call("/subjects/x/versions", { method: "POST", as: "editor", body: "{}", type: "text/plain" })).toMatchObject({ status: 415, body: { error_code: 415 } });
    expect(await call("/subjects/x/versions", { method: "POST", as: "editor", body: JSON.stringify({ schema: "x".repeat(2000) }) })).toMatchObject({ status: 413 });
    expect(await call("/elsewhere", { as: "viewer" })).toMatchObject({ status: 404, body: { error_code: 404 } });
    expect(await call("/subjects", { method: "PATCH", as: "editor" })).toMatchObject({ status: 405, body: { error_code: 405 } });
    expect(await call("/subjects/x/versions", { method: "POST", as: "editor", body: JSON.stringify({ schema: "boom" }) })).toMatchObject({ status: 500, body: { error_code: 50001 } });
  });

  it("asks for Basic credentials and refuses a role too low, auditing writes either way", async () => {
    expect(await call("/subjects")).toMatchObject({ status: 401, auth: expect.stringMatching(/^Basic realm=/), body: { error_code: 40101 } });
    expect(await call("/subjects", { as: "guesser" })).toMatchObject({ status: 429, body: { error_code: 42901, message: expect.stringContaining("42 s") } });
    audited.length = 0;
    expect(await call("/subjects/s/versions", { method: "POST", as: "viewer", body: JSON.stringify({ schema: "{}" }) })).toMatchObject({ status: 403, body: { error_code: 40301 } });
    expect(await call("/subjects/s/versions", { method: "POST", as: "editor", body: JSON.stringify({ schema: "{}" }) })).toMatchObject({ status: 200, body: { id: 42 } });
    expect(audited).toEqual([
      ["vera", { action: "schemaRegistry.register", subject: "s" }, { ok: false, errorCode: 40301 }],
      ["ed", { action: "schemaRegistry.register", subject: "s", detail: { id: 42 } }, { ok: true }],
    ]);
  });

  it("refuses a cross-site write from a browser", async () => {
    const r = await fetch(`${url}/subjects/s/versions`, { method: "POST", headers: { "x-test-caller": "editor", "sec-fetch-site": "cross-site", "content-type": CONTENT_TYPE }, body: "{}" });
    expect(r.status).toBe(403);
  });
});

describe("version references", () => {
  it("takes latest, -1 and 1…2^31-1; 42202 for anything else", () => {
    expect(parseVersionRef("latest")).toBe("latest");
    expect(parseVersionRef("-1")).toBe("latest");
    expect(parseVersionRef("12")).toBe(12);
    for (const bad of ["0", "2147483648", "1.5", "x", "", "-2"]) expect(() => parseVersionRef(bad)).toThrow(expect.objectContaining({ errorCode: 42202 }) as unknown as RegistryError);
  });
});
