import { describe, expect, it } from "vitest";
import { oidcSettingsFromEnv } from "./settings.js";

describe("OIDC settings from the environment", () => {
  const env = { MILLRACE_OIDC_ISSUER: "https://id.example.com/realms/x", MILLRACE_OIDC_CLIENT_ID: "millrace", MILLRACE_OIDC_ROLE_MAP: "ops=operator,*=viewer" };

  it("is off without an issuer and client id", () => {
    expect(oidcSettingsFromEnv({})).toBeUndefined();
  });

  it("reads the variables, with defaults for the groups claim and scopes", () => {
    const s = oidcSettingsFromEnv({ ...env, MILLRACE_OIDC_CLIENT_SECRET: "s3cret" })!;
    expect(s).toMatchObject({ issuer: env.MILLRACE_OIDC_ISSUER, clientId: "millrace", clientSecret: "s3cret", groupsClaim: "groups", scopes: "openid profile email" });
    expect(s.redirectUrl).toBeUndefined();
    expect(s.roleMap.fallback).toBe("viewer");
  });

  it("refuses half a configuration, naming what is missing", () => {
    expect(() => oidcSettingsFromEnv({ MILLRACE_OIDC_ISSUER: env.MILLRACE_OIDC_ISSUER })).toThrow(/needs MILLRACE_OIDC_CLIENT_ID, MILLRACE_OIDC_ROLE_MAP/);
    expect(() => oidcSettingsFromEnv({ ...env, MILLRACE_OIDC_REDIRECT_URL: "not a url" })).toThrow(/MILLRACE_OIDC_REDIRECT_URL=not a url is not a URL/);
  });

  it("never puts the client secret into an error", () => {
    try {
      oidcSettingsFromEnv({ ...env, MILLRACE_OIDC_CLIENT_SECRET: "s3cret", MILLRACE_OIDC_ROLE_MAP: "bad" });
    } catch (e) {
      expect(String(e)).not.toContain("s3cret");
    }
  });
});
