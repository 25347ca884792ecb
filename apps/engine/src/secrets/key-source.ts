import { existsSync } from "node:fs";
import { readPrivateFile, writePrivateFile } from "../private-file.js";
import { generateSecretKey, SECRET_KEY_BYTES, SecretBox, secretKey, SecretKeyError, type SecretKey } from "./secret-box.js";

/**
 * Where the engine's secret key comes from, in this order: the key itself (MILLRACE_SECRET_KEY,
 * 32 bytes as base64 or hex), a key file (created with mode 0600 on first start), or, when neither
 * is configured (tests, tools), a key that lives only as long as the process.
 */
export interface SecretKeyOptions {
  /** the key: 32 bytes as base64 (standard or url-safe) or 64 hex digits */
  key?: string;
  /** what `key` is called in messages (default MILLRACE_SECRET_KEY) */
  keyName?: string;
  /** a key file: one key per line (base64), the first seals; created when missing */
  keyFile?: string;
}

export type SecretKeySource = { kind: "env"; name: string } | { kind: "file"; path: string; created: boolean } | { kind: "ephemeral" };

export interface LoadedSecrets {
  box: SecretBox;
  source: SecretKeySource;
}

export const SECRET_KEY_ENV = "MILLRACE_SECRET_KEY";
/** The key file's name in the data directory (MILLRACE_DATA). */
export const SECRET_KEY_FILE = "secret.key";

/** Decodes a configured key; the error names the setting and the expected form, never the value. */
export function parseSecretKey(text: string, name = SECRET_KEY_ENV): SecretKey {
  const s = text.trim();
  let bytes: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(s)) bytes = Buffer.from(s, "hex");
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) bytes = Buffer.from(s, s.includes("-") || s.includes("_") ? "base64url" : "base64");
  if (!bytes || bytes.length !== SECRET_KEY_BYTES) {
    const got = bytes ? `${bytes.length} bytes` : `${s.length} characters that are neither hex nor base64`;
    throw new SecretKeyError(`${name} must be ${SECRET_KEY_BYTES} bytes written as base64 or as 64 hex digits (make one with \`openssl rand -base64 32\`); it decodes to ${got}`);
  }
  return secretKey(bytes);
}

export function encodeSecretKey(key: SecretKey): string {
  return key.key.toString("base64");
}

function readKeyFile(path: string): SecretKey[] {
  const lines = readPrivateFile(path, "the secret key file", (m) => new SecretKeyError(m)).split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  if (lines.length === 0) throw new SecretKeyError(`the secret key file ${path} holds no key`);
  return lines.map((l, i) => parseSecretKey(l, `line ${i + 1} of the secret key file ${path}`));
}

/** Writes the key file atomically (a 0600 temporary file renamed over it): a crash leaves the old or the new file, never half of one. */
export function writeKeyFile(path: string, keys: readonly SecretKey[]): void {
  writePrivateFile(path, "# Millrace secret key (AES-256-GCM), base64; the first line seals, later lines only open. Keep it secret, keep a backup.\n" + keys.map((k) => encodeSecretKey(k) + "\n").join(""));
}

export function loadSecrets(options: SecretKeyOptions): LoadedSecrets {
  if (options.key !== undefined && options.key.trim() !== "") {
    const name = options.keyName ?? SECRET_KEY_ENV;
    return { box: new SecretBox([parseSecretKey(options.key, name)]), source: { kind: "env", name } };
  }
  if (options.keyFile) {
    const path = options.keyFile;
    if (existsSync(path)) return { box: new SecretBox(readKeyFile(path)), source: { kind: "file", path, created: false } };
    const key = generateSecretKey();
    writeKeyFile(path, [key]);
    return { box: new SecretBox([key]), source: { kind: "file", path, created: true } };
  }
  return { box: new SecretBox([generateSecretKey()]), source: { kind: "ephemeral" } };
}
