import { describe, expect, it } from "vitest";
import { PendingLogins } from "./pending-logins.js";

describe("pending OIDC logins", () => {
  it("hands a login out once, and not after it expired", () => {
    let now = 0;
    const p = new PendingLogins(1000, 10, () => now);
    p.add("a", { codeVerifier: "v", nonce: "n" });
    p.add("b", { codeVerifier: "v2", nonce: "n2" });
    expect(p.take("a")).toEqual({ codeVerifier: "v", nonce: "n" });
    expect(p.take("a")).toBeUndefined();
    now = 1001;
    expect(p.take("b")).toBeUndefined();
  });

  it("stays within its capacity, dropping the oldest", () => {
    let now = 0;
    const p = new PendingLogins(60_000, 3, () => now);
    for (const s of ["a", "b", "c", "d", "e"]) {
      now++;
      p.add(s, { codeVerifier: s, nonce: s });
    }
    expect(p.size).toBe(3);
    expect(p.take("a")).toBeUndefined();
    expect(p.take("e")).toEqual({ codeVerifier: "e", nonce: "e" });
  });
});
