import { describe, expect, it } from "vitest";
import { DomainError } from "../errors.js";
import type { Principal } from "../auth/index.js";
import { basicCredentials, RegistryCredentials } from "./credentials.js";

const basic = (user: string, password: string) => ({ headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` }, socket: { remoteAddress: "10.0.0.1" } });

function setup() {
  let now = 0;
  let checks = 0;
  const users = new Map([["ann", { name: "ann", role: "editor" as const, passwordHash: "h1", createdAt: new Date() }]]);
  const identity = {
    authenticate: async (req: { headers: { authorization?: string } }): Promise<Principal | undefined> =>
      req.headers.authorization === "Bearer mr_good" ? { name: "tok-owner", role: "viewer", via: "token" } : undefined,
    logins: {
      checkPassword: async (name: string, password: string) => {
        checks++;
        if (users.get(name)?.passwordHash === "h1" && password === "right") return { name, role: "editor" as const };
        throw new DomainError("UNAUTHENTICATED", "wrong user name or password");
      },
    },
  };
  const credentials = new RegistryCredentials(identity as never, { get: async (n: string) => users.get(n) }, () => now);
  return { credentials, users, checks: () => checks, advance: (ms: number) => (now += ms) };
}

describe("registry credentials", () => {
  it("reads user and password from a Basic header (the password may hold colons)", () => {
    expect(basicCredentials(basic("u", "p:q").headers.authorization)).toEqual({ user: "u", password: "p:q" });
    expect(basicCredentials("Bearer x")).toBeUndefined();
  });

  it("takes an API token as the password under any user name", async () => {
    const { credentials } = setup();
    expect(await credentials.caller(basic("token", "mr_good") as never)).toEqual({ name: "tok-owner", role: "viewer", via: "basic-token" });
    expect(await credentials.caller(basic("token", "mr_revoked") as never)).toBeUndefined();
  });

  it("checks a password once, then trusts it for a minute while the stored hash is unchanged", async () => {
    const { credentials, users, checks, advance } = setup();
    expect(await credentials.caller(basic("ann", "right") as never)).toEqual({ name: "ann", role: "editor", via: "basic-password" });
    await credentials.caller(basic("ann", "right") as never);
    expect(checks()).toBe(1);
    expect(await credentials.caller(basic("ann", "wrong") as never)).toBeUndefined();
    // a new password (new hash) ends the trust at once
    users.set("ann", { ...users.get("ann")!, passwordHash: "h2" });
    expect(await credentials.caller(basic("ann", "right") as never)).toBeUndefined();
    users.set("ann", { ...users.get("ann")!, passwordHash: "h1" });
    await credentials.caller(basic("ann", "right") as never);
    const before = checks();
    advance(61_000);
    await credentials.caller(basic("ann", "right") as never);
    expect(checks()).toBe(before + 1);
  });

  it("passes the login rate limit's refusal on", async () => {
    const limited = new RegistryCredentials(
      { authenticate: async () => undefined, logins: { checkPassword: async () => Promise.reject(new DomainError("TOO_MANY", "too many failed logins")) } } as never,
      { get: async () => undefined },
    );
    await expect(limited.caller(basic("ann", "x") as never)).rejects.toMatchObject({ code: "TOO_MANY" });
  });
});
