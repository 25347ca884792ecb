import { describe, expect, it } from "vitest";
import { parseNetworkRule, parseNetworkRules, refusal } from "./net-policy.js";

const policy = (deny: string[], allow?: string[]) => ({ deny: parseNetworkRules(deny, "deny"), allow: allow && parseNetworkRules(allow, "allow") });

describe("network policy", () => {
  it("parses names, addresses, networks and ports; names what is wrong", () => {
    expect(parseNetworkRule("10.0.0.0/8:443")).toMatchObject({ port: 443, net: { family: 4, prefix: 8 } });
    expect(parseNetworkRule("[fd00::]/8:443")).toMatchObject({ port: 443, net: { family: 6, prefix: 8 } });
    expect(parseNetworkRule("fe80::/10")).toMatchObject({ net: { family: 6, prefix: 10 } });
    expect(parseNetworkRule("*.Example.com")).toMatchObject({ name: ".example.com", wildcard: true });
    expect(parseNetworkRule("10.0.0.0/33")).toMatch(/prefix length/);
    expect(parseNetworkRule("host:99999")).toMatch(/not a port/);
    expect(() => parseNetworkRules(["ok.example", "bad host"], "MILLRACE_HTTP_DENY")).toThrow(/^MILLRACE_HTTP_DENY: "bad host"/);
  });
  it("denies by network (IPv4-mapped IPv6 counts as IPv4), by name and by port", () => {
    const p = policy(["169.254.0.0/16", "fe80::/10", "127.0.0.1:8080", "*.internal"]);
    expect(refusal([p], "169.254.169.254", 80, ["169.254.169.254"])).toMatch(/denied \(169\.254\.0\.0\/16\)/);
    expect(refusal([p], "x", 80, ["::ffff:169.254.169.254"])).toMatch(/denied/);
    expect(refusal([p], "x", 80, ["fe80::1%eth0"])).toMatch(/denied \(fe80::\/10\)/);
    expect(refusal([p], "a.internal", 80, ["10.0.0.1"])).toMatch(/denied \(\*\.internal\)/);
    expect(refusal([p], "localhost", 8080, ["::1", "127.0.0.1"])).toMatch(/denied \(127\.0\.0\.1:8080\)/);
    expect(refusal([p], "localhost", 8081, ["127.0.0.1"])).toBeUndefined();
  });
  it("an allow list needs the name or every address listed; every policy must agree", () => {
    const p = policy([], ["api.example.com", "10.0.0.0/8"]);
    expect(refusal([p], "api.example.com", 443, ["93.184.216.34"])).toBeUndefined();
    expect(refusal([p], "svc", 80, ["10.1.2.3"])).toBeUndefined();
    expect(refusal([p], "svc", 80, ["10.1.2.3", "192.168.0.1"])).toMatch(/not in the allow list/);
    expect(refusal([p, policy(["10.1.0.0/16"])], "svc", 80, ["10.1.2.3"])).toMatch(/denied/);
  });
});
