import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadSecrets, parseSecretKey, rotateSecretKey, SecretBox, generateSecretKey, isSealed, mapSealed, type SealedStore } from "./index.js";

const tmp = () => mkdtempSync(join(tmpdir(), "mr-secrets-"));

describe("SecretBox", () => {
  it("seals with a fresh IV each time, names its key, and opens what it sealed", () => {
    const box = new SecretBox([generateSecretKey()]);
    const a = box.seal("s3cr3t-XYZ");
    const b = box.seal("s3cr3t-XYZ");
    expect(a).not.toBe(b);
    expect(a.startsWith(`mrsec:v1:${box.keyId}:`)).toBe(true);
    expect(a).not.toContain("s3cr3t");
    expect(box.open(a)).toBe("s3cr3t-XYZ");
    expect(isSealed(a)).toBe(true);
  });

  it("refuses an altered value, a value moved to another key id, and an unknown key, without quoting the value", () => {
    const box = new SecretBox([generateSecretKey()]);
    const sealed = box.seal("s3cr3t-XYZ");
    const body = sealed.slice(sealed.lastIndexOf(":") + 1);
    const flipped = sealed.slice(0, sealed.lastIndexOf(":") + 1) + (body[0] === "A" ? "B" : "A") + body.slice(1);
    expect(() => box.open(flipped)).toThrow(/failed authentication/);
    const other = new SecretBox([generateSecretKey()]);
    expect(() => other.open(sealed)).toThrow(new RegExp(`sealed with key ${box.keyId}`));
    expect(other.tryOpen(sealed)).toBeUndefined();
    expect(other.tryOpen("mrsec: typed by a user")).toBeUndefined();
  });

  it("mapSealed rewrites only sealed strings and says when nothing changed", () => {
    const box = new SecretBox([generateSecretKey()]);
    const doc = { a: [box.seal("x1"), "plain"], b: { c: box.seal("x2") } };
    expect(mapSealed({ a: ["plain"] }, (s) => s + "!")).toBeUndefined();
    expect(mapSealed(doc, (s) => box.open(s))).toEqual({ a: ["x1", "plain"], b: { c: "x2" } });
  });
});

describe("the secret key", () => {
  it("takes 32 bytes as base64 or hex and names the setting otherwise (never echoing it)", () => {
    const key = generateSecretKey();
    expect(parseSecretKey(key.key.toString("base64")).id).toBe(key.id);
    expect(parseSecretKey(key.key.toString("hex")).id).toBe(key.id);
    expect(() => parseSecretKey("too-short-key")).toThrow(/MILLRACE_SECRET_KEY must be 32 bytes .*decodes to 9 bytes/);
    expect(() => parseSecretKey("not base64 at all!")).toThrow(/MILLRACE_SECRET_KEY must be 32 bytes/);
    try {
      parseSecretKey("hunter2hunter2");
    } catch (e) {
      expect((e as Error).message).not.toContain("hunter2");
    }
  });

  it("is created in a 0600 key file on first start and read back on the next", () => {
    const file = join(tmp(), "secret.key");
    const first = loadSecrets({ keyFile: file });
    expect(first.source).toEqual({ kind: "file", path: file, created: true });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = loadSecrets({ keyFile: file });
    expect(again.source).toMatchObject({ created: false });
    expect(again.box.open(first.box.seal("v"))).toBe("v");
  });

  it("refuses a key file others can read", () => {
    const file = join(tmp(), "secret.key");
    writeFileSync(file, generateSecretKey().key.toString("base64") + "\n", { mode: 0o644 });
    expect(() => loadSecrets({ keyFile: file })).toThrow(/readable by other users .*chmod 600/);
  });

  it("prefers the configured key over the file", () => {
    const key = generateSecretKey();
    const s = loadSecrets({ key: key.key.toString("hex"), keyFile: join(tmp(), "never-created.key") });
    expect(s.source).toEqual({ kind: "env", name: "MILLRACE_SECRET_KEY" });
    expect(s.box.keyId).toBe(key.id);
  });
});

describe("key rotation", () => {
  function memoryStore(values: string[]): SealedStore {
    return {
      async resealAll(reseal) {
        let n = 0;
        values.forEach((v, i) => {
          const next = reseal(v);
          if (next !== v) n++;
          values[i] = next;
        });
        return n;
      },
    };
  }

  it("re-seals every stored value under a new key and leaves only that key in the file", async () => {
    const file = join(tmp(), "secret.key");
    const secrets = loadSecrets({ keyFile: file });
    const oldId = secrets.box.keyId;
    const stored = [secrets.box.seal("one"), secrets.box.seal("two")];
    const r = await rotateSecretKey(secrets, memoryStore(stored));
    expect(r).toMatchObject({ previousKeyId: oldId, resealed: 2, source: "file", keyFile: file });
    expect(r.newKey).toBeUndefined();
    expect(r.keyId).not.toBe(oldId);
    expect(stored.every((v) => v.startsWith(`mrsec:v1:${r.keyId}:`))).toBe(true);
    const reloaded = loadSecrets({ keyFile: file });
    expect(reloaded.box.keyIds).toEqual([r.keyId]);
    expect(stored.map((v) => reloaded.box.open(v))).toEqual(["one", "two"]);
    expect(readFileSync(file, "utf8").trim().split("\n").filter((l) => !l.startsWith("#"))).toHaveLength(1);
  });

  it("with the key from the environment, hands the new key back for the operator to set", async () => {
    const secrets = loadSecrets({ key: generateSecretKey().key.toString("base64") });
    const stored = [secrets.box.seal("one")];
    const r = await rotateSecretKey(secrets, memoryStore(stored));
    expect(r.source).toBe("env");
    expect(parseSecretKey(r.newKey!).id).toBe(r.keyId);
    expect(new SecretBox([parseSecretKey(r.newKey!)]).open(stored[0]!)).toBe("one");
  });
});
