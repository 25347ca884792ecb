import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { HttpListenAccess } from "@millrace/processors/runtime";
import { bearerTokenOf, type Authenticate } from "../auth/index.js";

/** Who sent a request into an http-listen source, as its record's `mr.principal` / `mr.auth` say. */
export interface IngestCaller {
  principal: string;
  auth: string;
}

/** A refused request: its 401 message (and the challenge header, for tokens). */
export interface IngestRefusal {
  refused: string;
  challenge?: string;
}

export const ANONYMOUS: IngestCaller = { principal: "anonymous", auth: "none" };
export const DEFAULT_API_KEY_HEADER = "x-api-key";
export const DEFAULT_SIGNATURE_HEADER = "x-signature";

/** Request headers that are credentials: never copied into a record. */
const CREDENTIAL_HEADERS = new Set(["authorization", "proxy-authorization", "cookie"]);

/** Whether a request header may become a record header (`http.<name>`): not a credential of any kind. */
export function copiesHeader(access: HttpListenAccess, name: string): boolean {
  if (CREDENTIAL_HEADERS.has(name)) return false;
  return !(access.auth === "api-key" && name === (access.header ?? DEFAULT_API_KEY_HEADER).toLowerCase());
}

/** True when checking needs the body (an HMAC signature); other checks run before it is read. */
export function needsBody(access: HttpListenAccess): boolean {
  return access.auth === "hmac";
}

/**
 * Checks a request against its source's `auth`. `body` is the raw body (only read for hmac).
 * Keys and signatures are compared in constant time; a token must be a live Millrace API token
 * (a session cookie does not count: a browser must not post into a flow by visiting a page).
 */
export async function checkIngest(access: HttpListenAccess, headers: IncomingHttpHeaders, body: Buffer | undefined, authenticate: Authenticate): Promise<IngestCaller | IngestRefusal> {
  switch (access.auth) {
    case "none":
    case undefined:
      return ANONYMOUS;
    case "token": {
      const refusal = { refused: "this path needs a Millrace API token (Authorization: Bearer mr_…); nothing was written", challenge: "Bearer" };
      if (bearerTokenOf({ headers }) === undefined) return refusal;
      const principal = await authenticate({ headers: { authorization: headers.authorization } });
      return principal?.via === "token" ? { principal: principal.name, auth: "token" } : refusal;
    }
    case "api-key": {
      const name = (access.header ?? DEFAULT_API_KEY_HEADER).toLowerCase();
      const sent = single(headers[name]);
      if (sent === undefined || access.key === undefined || !sameSecret(sent, access.key)) return { refused: `this path needs its API key in the ${name} header; nothing was written` };
      return { principal: access.principal ?? "api-key", auth: "api-key" };
    }
    case "hmac": {
      const name = (access.header ?? DEFAULT_SIGNATURE_HEADER).toLowerCase();
      const sent = signatureBytes(single(headers[name]));
      if (!sent || access.secret === undefined || !body) return { refused: `this path needs the HMAC-SHA256 of the body (hex or base64) in the ${name} header; nothing was written` };
      const expected = createHmac("sha256", access.secret).update(body).digest();
      if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) return { refused: `the ${name} header is not the HMAC-SHA256 of the body with this path's secret; nothing was written` };
      return { principal: access.principal ?? "hmac", auth: "hmac" };
    }
  }
}

export function isRefusal(r: IngestCaller | IngestRefusal): r is IngestRefusal {
  return "refused" in r;
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Equal length digests first: neither the length nor the content of the key leaks through timing. */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}

/** A signature as sent: `sha256=` optional, then 64 hex digits or base64 / base64url of the 32 bytes. */
function signatureBytes(v: string | undefined): Buffer | undefined {
  if (v === undefined) return undefined;
  const s = v.trim().replace(/^sha256=/i, "");
  if (/^[0-9a-f]{64}$/i.test(s)) return Buffer.from(s, "hex");
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(s)) return undefined;
  const b = Buffer.from(s, "base64");
  return b.length === 32 ? b : undefined;
}
