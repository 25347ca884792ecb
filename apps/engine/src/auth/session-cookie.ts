import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";

export const SESSION_COOKIE = "millrace_session";

/** The session token a browser sent, if any. */
export function sessionCookieOf(req: Pick<IncomingMessage, "headers">): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** Whether the browser reached us over HTTPS (directly, or through a proxy that says so). */
export function cameOverHttps(req: Pick<IncomingMessage, "headers" | "socket">): boolean {
  if ((req.socket as Partial<TLSSocket>).encrypted) return true;
  const proto = req.headers["x-forwarded-proto"];
  return (Array.isArray(proto) ? proto[0] : proto)?.split(",")[0]?.trim().toLowerCase() === "https";
}

/** Set-Cookie for a new session: HttpOnly (no script reads it), SameSite=Strict (no other site sends it), Secure over HTTPS. */
export function sessionCookie(token: string, secure: boolean, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? "; Secure" : ""}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? "; Secure" : ""}`;
}
