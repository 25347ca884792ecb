import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readPrivateFile, writePrivateFile } from "../private-file.js";

/** The password file's name, in the directory that holds the data directory. */
export const PG_PASSWORD_FILE = "pg-password";
/** The gate listens here only: the password goes over the wire in cleartext. */
export const LOOPBACK = "127.0.0.1";

/** The password in `path`, or a new one (32 random bytes, base64url) written there with mode 0600. */
export function loadOrCreatePassword(path: string): string {
  if (existsSync(path)) {
    const password = readPrivateFile(path, "the embedded Postgres password file").trim();
    if (password === "") throw new Error(`the embedded Postgres password file ${path} is empty: delete it and a new password is generated on the next start`);
    return password;
  }
  const password = randomBytes(32).toString("base64url");
  writePrivateFile(path, password + "\n");
  return password;
}

/** The URL the engine connects with: it carries the password, so it never goes into a log. */
export function embeddedPostgresUrl(password: string, port: number): string {
  return `postgres://postgres:${encodeURIComponent(password)}@${LOOPBACK}:${port}/postgres?sslmode=disable`;
}
