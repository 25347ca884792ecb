import type { IncomingHttpHeaders } from "node:http";
import { hostName } from "./host-check.js";

/**
 * Refuses state-changing requests a browser sends on behalf of another site (CSRF). A browser
 * says where a request comes from in Sec-Fetch-Site (trusted when present) or else in Origin;
 * a request with neither comes from a program (the CLI, curl, tests), not from a web page.
 * Returns why a request is refused, or undefined.
 */
export function crossSiteRefusal(method: string | undefined, headers: IncomingHttpHeaders): string | undefined {
  if (method === "GET" || method === "HEAD" || method === "OPTIONS") return undefined;
  const site = headers["sec-fetch-site"];
  if (typeof site === "string" && site !== "") {
    // "none": typed by the user (address bar, bookmark)
    return site === "same-origin" || site === "none" ? undefined : `a ${site} request (Sec-Fetch-Site: ${site})`;
  }
  const origin = headers.origin;
  if (origin === undefined || origin === "") return undefined;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return `an unreadable Origin (${origin.slice(0, 100)})`;
  }
  const host = headers.host ?? "";
  return originHost !== "" && hostName(originHost) === hostName(host) && portOf(originHost, origin) === portOf(host, origin)
    ? undefined
    : `a request from ${origin.slice(0, 100)}, not from this engine's own pages`;
}

/** Explicit port, or the scheme's default (the Origin's scheme also applies to Host). */
function portOf(host: string, origin: string): string {
  const m = /:(\d+)$/.exec(host);
  if (m) return m[1]!;
  return origin.startsWith("https:") ? "443" : "80";
}
