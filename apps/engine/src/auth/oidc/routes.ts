import type { IncomingMessage, ServerResponse } from "node:http";
import type { AuditLog } from "../../audit/index.js";
import { DomainError, type DomainErrorCode } from "../../errors.js";
import type { Logger } from "../../log.js";
import { cameOverHttps, sessionCookie } from "../session-cookie.js";
import { OIDC_CALLBACK_PATH, OIDC_LOGIN_PATH, type OidcLogin } from "./oidc-login.js";

/** Binds a login to the browser that started it; Lax, because the provider's redirect back is a cross-site navigation. */
const STATE_COOKIE = "millrace_oidc_state";
const STATE_COOKIE_SECONDS = 600;

const STATUS: Partial<Record<DomainErrorCode, number>> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, CONFLICT: 409, UNAVAILABLE: 502 };

/**
 * The browser side of single sign-on, plain HTTP on the engine: GET /auth/oidc/login sends the
 * browser to the provider; GET /auth/oidc/callback is where it comes back, gets its session
 * cookie and goes on to the designer. Returns false for any other path.
 */
export function oidcRoutes(oidc: OidcLogin | undefined, sessionMaxAgeSeconds: number, log: Logger, audit?: Pick<AuditLog, "record">) {
  return (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    if (path !== OIDC_LOGIN_PATH && path !== OIDC_CALLBACK_PATH) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      answer(res, 405, "single sign-on takes GET requests only", { allow: "GET" });
      return true;
    }
    if (!oidc) {
      answer(res, 404, "single sign-on is not configured on this engine (MILLRACE_OIDC_ISSUER and friends); log in with your user name and password");
      return true;
    }
    const secure = cameOverHttps(req);
    const signedIn = (name: string) =>
      audit?.record({ actor: name, via: "sso", remoteAddress: req.socket.remoteAddress, action: "auth.login", detail: { client: "browser", issuer: oidc.issuer }, outcome: "ok" });
    const done = path === OIDC_LOGIN_PATH ? login(oidc, res, secure) : callback(oidc, req, res, secure, sessionMaxAgeSeconds, signedIn);
    done.catch(async (e: unknown) => {
      const status = (e instanceof DomainError && STATUS[e.code]) || 500;
      if (path === OIDC_CALLBACK_PATH) {
        await audit?.record({
          via: "sso",
          remoteAddress: req.socket.remoteAddress,
          action: "auth.login",
          detail: { client: "browser", issuer: oidc.issuer, reason: e instanceof Error ? e.message : String(e) },
          outcome: "refused",
          errorCode: e instanceof DomainError ? e.code : "INTERNAL",
        });
      }
      if (status === 500) log.error({ err: e }, `single sign-on failed: ${e instanceof Error ? e.message : String(e)}`);
      answer(res, status, `Single sign-on failed: ${e instanceof Error && status !== 500 ? e.message : "internal error; the engine logged it"}\n\nBack to the login page: /`, {
        "set-cookie": stateCookie("", secure, 0),
      });
    });
    return true;
  };
}

async function login(oidc: OidcLogin, res: ServerResponse, secure: boolean): Promise<void> {
  const { authorizationUrl, state } = await oidc.start();
  res.writeHead(302, { location: authorizationUrl, "set-cookie": stateCookie(state, secure, STATE_COOKIE_SECONDS), "cache-control": "no-store" }).end();
}

async function callback(
  oidc: OidcLogin,
  req: IncomingMessage,
  res: ServerResponse,
  secure: boolean,
  sessionMaxAgeSeconds: number,
  signedIn: (name: string) => Promise<void> | undefined,
): Promise<void> {
  const query = new URL(req.url ?? "/", "http://engine").searchParams;
  const { name, sessionToken } = await oidc.finish(query, cookieOf(req, STATE_COOKIE));
  await signedIn(name);
  res.writeHead(302, { location: "/", "set-cookie": [sessionCookie(sessionToken, secure, sessionMaxAgeSeconds), stateCookie("", secure, 0)], "cache-control": "no-store" }).end();
}

function stateCookie(value: string, secure: boolean, maxAgeSeconds: number): string {
  return `${STATE_COOKIE}=${value}; Path=/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure ? "; Secure" : ""}`;
}

function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

function answer(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers }).end(`${message}\n`);
}
