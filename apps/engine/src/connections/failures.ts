import type { ConnectionTestFailure } from "@millrace/flow";

/**
 * The reason for a failed connection attempt from the Node error under it, shared by every
 * type's test: what matters to a person is whether the address, the certificates or the
 * credentials are wrong, not which client library said so.
 */

const TLS_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "ERR_SSL_PACKET_LENGTH_TOO_LONG",
  "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE",
  "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA",
  "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE",
  "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED",
  "ERR_OSSL_PEM_NO_START_LINE",
  "ERR_OSSL_UNSUPPORTED",
]);

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "ETIMEDOUT"]);

/** Codes of an error and of its causes, outermost first. */
export function errorCodes(e: unknown): string[] {
  const codes: string[] = [];
  for (let at = e, depth = 0; typeof at === "object" && at !== null && depth < 5; at = (at as { cause?: unknown }).cause, depth++) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
  }
  return codes;
}

/** tls-mismatch or unreachable when the error (or a cause) is a TLS or network failure, else undefined. */
export function transportFailure(e: unknown): ConnectionTestFailure | undefined {
  const codes = errorCodes(e);
  const message = e instanceof Error ? e.message : "";
  if (codes.some((c) => TLS_CODES.has(c) || c.startsWith("ERR_SSL_") || c.startsWith("ERR_TLS_")) || /certificate|ssl|tls/i.test(message)) return "tls-mismatch";
  if (codes.some((c) => NETWORK_CODES.has(c))) return "unreachable";
  return undefined;
}
