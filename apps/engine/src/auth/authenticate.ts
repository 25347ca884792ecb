import type { IncomingMessage } from "node:http";
import type { ApiTokenRepository, SessionLimits, SessionRepository } from "../db/index.js";
import type { Principal } from "./principal.js";
import { lowerRole } from "./roles.js";
import { API_TOKEN_PREFIX, tokenHash } from "./secret-tokens.js";
import { sessionCookieOf } from "./session-cookie.js";

/** A session or token is written back as used at most this often (not on every request). */
const TOUCH_AFTER_SECONDS = 60;

export type Authenticate = (req: Pick<IncomingMessage, "headers">) => Promise<Principal | undefined>;

/** The bearer token of an `Authorization: Bearer …` header. */
export function bearerTokenOf(req: Pick<IncomingMessage, "headers">): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

/**
 * The caller of a request: an API token (`Authorization: Bearer mr_…`, for the CLI, automation
 * and Prometheus) or else the session cookie; undefined when neither names a live credential.
 * A token acts with the lower of its own role and its owner's current role.
 */
export function createAuthenticate(repos: { sessions: SessionRepository; apiTokens: ApiTokenRepository }, limits: SessionLimits): Authenticate {
  return async (req) => {
    const bearer = bearerTokenOf(req);
    if (bearer !== undefined) {
      if (!bearer.startsWith(API_TOKEN_PREFIX)) return undefined;
      const token = await repos.apiTokens.find(tokenHash(bearer));
      if (!token) return undefined;
      if (token.idleSeconds === null || token.idleSeconds > TOUCH_AFTER_SECONDS) await repos.apiTokens.touch(token.id);
      return { name: token.owner, role: lowerRole(token.role, token.ownerRole), via: "token", tokenId: token.id };
    }
    const cookie = sessionCookieOf(req);
    if (cookie === undefined) return undefined;
    const hash = tokenHash(cookie);
    const session = await repos.sessions.find(hash, limits);
    if (!session) return undefined;
    if (session.idleSeconds > TOUCH_AFTER_SECONDS) await repos.sessions.touch(hash);
    return { name: session.userName, role: session.role, via: "session", sessionHash: hash };
  };
}
