import { createHash } from "node:crypto";

/**
 * Headers on every page and file of the designer. The Content-Security-Policy lets only this
 * engine's own files run as scripts (plus the inline scripts index.html ships, by hash), never
 * frames the designer into another site, and sends no referrer away.
 */
export function securityHeaders(html?: string): Record<string, string> {
  const inline = html ? inlineScriptHashes(html).map((h) => `'${h}'`) : [];
  const csp = [
    "default-src 'self'",
    `script-src 'self'${inline.length ? ` ${inline.join(" ")}` : ""}`,
    // React and the canvas set element styles at run time; styles cannot run code
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  return {
    "content-security-policy": csp,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
  };
}

const INLINE_SCRIPT = /<script(?![^>]*\bsrc\s*=)[^>]*>([\s\S]*?)<\/script>/gi;

/** sha256-… of each inline <script> body, as CSP matches them (the exact text between the tags). */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const m of html.matchAll(INLINE_SCRIPT)) {
    const body = m[1] ?? "";
    if (body.trim() !== "") hashes.push(`sha256-${createHash("sha256").update(body, "utf8").digest("base64")}`);
  }
  return hashes;
}
