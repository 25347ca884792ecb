import { describe, expect, it } from "vitest";
import type { IncomingMessage } from "node:http";
import { bearerTokenOf } from "./authenticate.js";
import { cameOverHttps, clearedSessionCookie, sessionCookie, sessionCookieOf } from "./session-cookie.js";

const req = (headers: Record<string, string>, encrypted = false) => ({ headers, socket: { encrypted } }) as unknown as IncomingMessage;

describe("session cookie and bearer token", () => {
  it("is HttpOnly, SameSite=Strict, Path=/, and Secure only over HTTPS", () => {
    expect(sessionCookie("abc", false, 60)).toBe("millrace_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=60");
    expect(sessionCookie("abc", true, 60)).toMatch(/; Secure$/);
    expect(clearedSessionCookie(false)).toMatch(/^millrace_session=; .*Max-Age=0/);
    expect(cameOverHttps(req({}))).toBe(false);
    expect(cameOverHttps(req({}, true))).toBe(true);
    expect(cameOverHttps(req({ "x-forwarded-proto": "https, http" }))).toBe(true);
  });

  it("reads the session among other cookies, and a bearer token", () => {
    expect(sessionCookieOf(req({ cookie: "a=1; millrace_session=tok; b=2" }))).toBe("tok");
    expect(sessionCookieOf(req({ cookie: "xmillrace_session=tok" }))).toBeUndefined();
    expect(bearerTokenOf(req({ authorization: "Bearer mr_abc" }))).toBe("mr_abc");
    expect(bearerTokenOf(req({ authorization: "Basic abc" }))).toBeUndefined();
  });
});
