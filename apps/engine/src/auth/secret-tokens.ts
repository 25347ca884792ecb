import { createHash, randomBytes } from "node:crypto";

/** What an API token starts with: tells it apart from a session token (and in a leaked-secret scan). */
export const API_TOKEN_PREFIX = "mr_";

/** 32 random bytes, base64url: the browser's session cookie. */
export function newSessionToken(): string {
  return randomBytes(32).toString("base64url");
}

export function newApiToken(): string {
  return API_TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

/** What is stored of a token: its sha256. The tokens are random and long, so no salt or slow hash is needed. */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
