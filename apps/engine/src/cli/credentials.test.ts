import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { credentialsPath, removeCredential, storeCredential, storedCredential, tokenFor } from "./credentials.js";

let dir: string;
let env: Record<string, string | undefined>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "millrace-credentials-"));
  env = { XDG_CONFIG_HOME: join(dir, "config"), HOME: dir };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("credentials file", () => {
  it("lives under XDG_CONFIG_HOME, else ~/.config", () => {
    expect(credentialsPath(env)).toBe(join(dir, "config", "millrace", "credentials.json"));
    expect(credentialsPath({ HOME: dir })).toBe(join(dir, ".config", "millrace", "credentials.json"));
  });

  it("is written with mode 0600 in a directory with mode 0700", () => {
    const path = storeCredential({ url: "http://127.0.0.1:8080", token: "mr_a" }, env);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "config", "millrace")).mode & 0o777).toBe(0o700);
  });

  it("tightens a directory and file that already existed with wider modes", () => {
    mkdirSync(join(dir, "config", "millrace"), { recursive: true, mode: 0o755 });
    writeFileSync(credentialsPath(env), JSON.stringify({ engines: [] }), { mode: 0o644 });
    const path = storeCredential({ url: "http://e:8080", token: "mr_b" }, env);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "config", "millrace")).mode & 0o777).toBe(0o700);
  });

  it("keeps one token per engine URL, a trailing slash naming the same engine", () => {
    storeCredential({ url: "http://one:8080", token: "mr_one" }, env);
    storeCredential({ url: "http://two:8080/", token: "mr_two" }, env);
    storeCredential({ url: "http://one:8080/", token: "mr_one_again", user: "ada" }, env);
    expect(tokenFor("http://one:8080", env)).toBe("mr_one_again");
    expect(storedCredential("http://one:8080", env)?.user).toBe("ada");
    expect(tokenFor("http://two:8080", env)).toBe("mr_two");
    expect(tokenFor("http://three:8080", env)).toBeUndefined();
    expect(JSON.parse(readFileSync(credentialsPath(env), "utf8")).engines).toHaveLength(2);
  });

  it("lets MILLRACE_TOKEN override the stored token", () => {
    storeCredential({ url: "http://one:8080", token: "mr_stored" }, env);
    expect(tokenFor("http://one:8080", { ...env, MILLRACE_TOKEN: "mr_env" })).toBe("mr_env");
    expect(tokenFor("http://nowhere:1", { ...env, MILLRACE_TOKEN: "mr_env" })).toBe("mr_env");
  });

  it("removes only the engine logged out of", () => {
    storeCredential({ url: "http://one:8080", token: "mr_one" }, env);
    storeCredential({ url: "http://two:8080", token: "mr_two" }, env);
    expect(removeCredential("http://one:8080/", env)).toBe(true);
    expect(removeCredential("http://one:8080", env)).toBe(false);
    expect(tokenFor("http://one:8080", env)).toBeUndefined();
    expect(tokenFor("http://two:8080", env)).toBe("mr_two");
  });

  it("reads no file as no credentials, and names a corrupt file", () => {
    expect(tokenFor("http://one:8080", env)).toBeUndefined();
    mkdirSync(join(dir, "config", "millrace"), { recursive: true });
    writeFileSync(credentialsPath(env), "{not json");
    expect(() => tokenFor("http://one:8080", env)).toThrow(/credentials\.json is not valid JSON/);
  });
});
