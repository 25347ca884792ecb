import { describe, expect, it } from "vitest";
import { hostname } from "node:os";
import { createHostCheck, hostName } from "./host-check.js";
import { crossSiteRefusal } from "./cross-site.js";
import { inlineScriptHashes, securityHeaders } from "./security-headers.js";
import { httpSettingsFromEnv } from "../config.js";

describe("Host check", () => {
  it("reads the name of a Host header", () => {
    expect(hostName("LocalHost:8080")).toBe("localhost");
    expect(hostName("[::1]:8080")).toBe("::1");
    expect(hostName("example.com.")).toBe("example.com");
  });
  it("accepts IP addresses and localhost, refuses other names unless configured", () => {
    const check = createHostCheck("127.0.0.1", ["millrace.lan"]);
    for (const h of ["127.0.0.1:8080", "localhost", "[::1]", "192.168.1.5:8080", "millrace.lan:8080", undefined]) expect(check.refused(h), String(h)).toBeUndefined();
    expect(check.refused("evil.example:8080")).toBe("evil.example");
    expect(check.refused(hostname())).toBe(hostname().toLowerCase());
  });
  it("adds the machine's name when bound to every interface, the bind name when bound to one", () => {
    expect(createHostCheck("0.0.0.0", undefined).refused(hostname())).toBeUndefined();
    expect(createHostCheck("engine.internal", undefined).refused("engine.internal:80")).toBeUndefined();
    expect(createHostCheck("127.0.0.1", ["*"]).refused("anything.example")).toBeUndefined();
  });
});

describe("cross-site check", () => {
  const host = "127.0.0.1:8080";
  it("passes reads, same-origin browsers and programs", () => {
    expect(crossSiteRefusal("GET", { host, origin: "https://evil.example" })).toBeUndefined();
    expect(crossSiteRefusal("POST", { host, "sec-fetch-site": "same-origin" })).toBeUndefined();
    expect(crossSiteRefusal("POST", { host, origin: "http://127.0.0.1:8080" })).toBeUndefined();
    expect(crossSiteRefusal("POST", { host })).toBeUndefined();
  });
  it("refuses other sites, by Sec-Fetch-Site first, else by Origin", () => {
    expect(crossSiteRefusal("POST", { host, "sec-fetch-site": "cross-site", origin: "http://127.0.0.1:8080" })).toMatch(/cross-site/);
    expect(crossSiteRefusal("POST", { host, origin: "http://127.0.0.1:9999" })).toMatch(/127.0.0.1:9999/);
    expect(crossSiteRefusal("DELETE", { host, origin: "null" })).toMatch(/null/);
    // behind a proxy ending TLS, the page's origin is https and Host carries no port
    expect(crossSiteRefusal("POST", { host: "millrace.example", origin: "https://millrace.example" })).toBeUndefined();
  });
});

describe("security headers", () => {
  it("hash each inline script as the CSP matches it, never scripts with a src", () => {
    const html = `<script>a()</script><script type="module" src="/x.js"></script><SCRIPT nonce="">b()</SCRIPT>`;
    expect(inlineScriptHashes(html)).toHaveLength(2);
    const csp = securityHeaders(html)["content-security-policy"];
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
  });
});

describe("HTTP settings from the environment", () => {
  it("reads the body limit, the request timeout and the host names", () => {
    expect(httpSettingsFromEnv({ MILLRACE_MAX_BODY_MB: "2", MILLRACE_REQUEST_TIMEOUT_S: "5", MILLRACE_ALLOWED_HOSTS: "a.lan, b.lan" })).toEqual({ maxBodyBytes: 2 * 1024 * 1024, requestTimeoutMs: 5000, allowedHosts: ["a.lan", "b.lan"] });
    expect(() => httpSettingsFromEnv({ MILLRACE_MAX_BODY_MB: "lots" })).toThrow(/MILLRACE_MAX_BODY_MB=lots/);
  });
});
