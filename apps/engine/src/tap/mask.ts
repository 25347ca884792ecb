import { HEADER } from "@millrace/processors";

/** Header names whose values a tap never shows (credentials travel in headers more often than one would like). */
export const SENSITIVE_HEADER = /auth|token|secret|password|passwd|cookie|key|session|credential/i;
export const MASK = "***";

/** The runtime's headers saying who sent a record and how: no credential, and what a tap is for (mr.auth would match "auth"). */
const SHOWN_AS_IS: ReadonlySet<string> = new Set([HEADER.principal, HEADER.auth]);

/** A copy of `headers` with the values of sensitive-looking names replaced by "***". */
export function maskHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in headers) out[k] = SENSITIVE_HEADER.test(k) && !SHOWN_AS_IS.has(k) ? MASK : headers[k]!;
  return out;
}
