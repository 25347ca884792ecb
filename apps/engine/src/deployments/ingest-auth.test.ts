import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Authenticate } from "../auth/index.js";
import { checkIngest, copiesHeader } from "./ingest-auth.js";

const body = Buffer.from('{"n":1}');
const nobody: Authenticate = async () => undefined;

describe("http-listen request checks", () => {
  it("hmac: hex, base64, base64url and a sha256= prefix pass; anything else is refused", async () => {
    const access = { auth: "hmac" as const, secret: "s", principal: "p" };
    const mac = createHmac("sha256", "s").update(body).digest();
    for (const sig of [mac.toString("hex"), mac.toString("hex").toUpperCase(), mac.toString("base64"), mac.toString("base64url"), `sha256=${mac.toString("hex")}`])
      expect(await checkIngest(access, { "x-signature": sig }, body, nobody), sig).toEqual({ principal: "p", auth: "hmac" });
    for (const sig of [undefined, "", "zz", mac.toString("hex").slice(2), createHmac("sha256", "t").update(body).digest("hex"), Buffer.alloc(31).toString("base64")])
      expect(await checkIngest(access, sig === undefined ? {} : { "x-signature": sig }, body, nobody), String(sig)).toHaveProperty("refused");
    expect(await checkIngest(access, { "x-signature": mac.toString("hex") }, Buffer.from('{"n":2}'), nobody)).toHaveProperty("refused");
  });

  it("api-key: its header (case-insensitive name), the exact key", async () => {
    const access = { auth: "api-key" as const, header: "X-Key", key: "k1", principal: "svc" };
    expect(await checkIngest(access, { "x-key": "k1" }, undefined, nobody)).toEqual({ principal: "svc", auth: "api-key" });
    for (const headers of [{}, { "x-key": "k" }, { "x-key": "k11" }, { "x-api-key": "k1" }]) expect(await checkIngest(access, headers, undefined, nobody)).toHaveProperty("refused");
  });

  it("token: only a bearer API token counts, never a session cookie", async () => {
    const seen: unknown[] = [];
    const authenticate: Authenticate = async (req) => {
      seen.push(req.headers);
      return req.headers.authorization === "Bearer mr_good" ? { name: "alice", role: "viewer", via: "token" } : undefined;
    };
    const access = { auth: "token" as const };
    expect(await checkIngest(access, { authorization: "Bearer mr_good", cookie: "millrace_session=x" }, undefined, authenticate)).toEqual({ principal: "alice", auth: "token" });
    expect(seen).toEqual([{ authorization: "Bearer mr_good" }]); // the cookie is not passed on
    expect(await checkIngest(access, { cookie: "millrace_session=x" }, undefined, authenticate)).toMatchObject({ challenge: "Bearer" });
    expect(await checkIngest(access, { authorization: "Bearer mr_bad" }, undefined, authenticate)).toHaveProperty("refused");
  });

  it("credential headers are never copied into records", () => {
    const open = { auth: "none" as const };
    for (const h of ["authorization", "proxy-authorization", "cookie"]) expect(copiesHeader(open, h)).toBe(false);
    expect(copiesHeader(open, "x-api-key")).toBe(true);
    expect(copiesHeader({ auth: "api-key", key: "k" }, "x-api-key")).toBe(false);
    expect(copiesHeader({ auth: "api-key", header: "X-Key", key: "k" }, "x-key")).toBe(false);
    expect(copiesHeader(open, "x-trace")).toBe(true);
  });
});
