import type { IncomingMessage } from "node:http";
import type { ConnectionTestResult, HttpConnection, SchemaRegistryConnection } from "@millrace/flow";
import type { NetworkPolicy } from "@millrace/processors";
import { policyRequest, Refused } from "./policy-http.js";
import { transportFailure } from "./failures.js";

const REQUEST_MS = 4_000;

/** The request headers carrying a connection's credentials (none for auth "none"). */
export function credentialHeaders(c: HttpConnection | SchemaRegistryConnection): Record<string, string> {
  const basic = (username: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` });
  if (c.type === "schema-registry") return c.auth ? basic(c.auth.username, c.auth.password) : {};
  switch (c.auth.type) {
    case "none":
      return {};
    case "basic":
      return basic(c.auth.username, c.auth.password);
    case "bearer":
      return { authorization: `Bearer ${c.auth.token}` };
    case "header":
      return { [c.auth.name.toLowerCase()]: c.auth.value };
  }
}

/**
 * GETs the endpoint (an HTTP connection's base URL, a schema registry's /subjects) with the
 * connection's credentials, under the engine's network policy as http-request is: the address
 * checked is the address connected to. Redirects are not followed (the answer is judged as is).
 * Never throws; the detail names the connection and the URL without credentials.
 */
export async function testHttpConnection(c: HttpConnection | SchemaRegistryConnection, policy: NetworkPolicy | undefined): Promise<ConnectionTestResult> {
  const url = c.type === "http" ? new URL(c.baseUrl) : new URL("subjects", c.url.endsWith("/") ? c.url : `${c.url}/`);
  const shown = `${url.origin}${url.pathname}`;
  const who = `connection "${c.name}" (GET ${shown})`;
  try {
    const res = await get(url, credentialHeaders(c), policy);
    res.resume();
    const status = res.statusCode ?? 0;
    if (status === 401) return { ok: false, reason: "wrong-credentials", detail: `${who}: 401 ${res.statusMessage ?? ""}: the credentials were refused` };
    if (status === 403) return { ok: false, reason: "not-authorized", detail: `${who}: 403 ${res.statusMessage ?? ""}: the credentials are not allowed this` };
    // any other answer means the endpoint is there and took the credentials; only a registry's 2xx is proof it is one
    if (c.type === "schema-registry" && (status < 200 || status > 299)) return { ok: false, reason: "invalid", detail: `${who}: ${status} ${res.statusMessage ?? ""}: not a schema registry answer` };
    return { ok: true, detail: `${who}: ${status} ${res.statusMessage ?? ""}`.trimEnd() };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof Refused) return { ok: false, reason: "not-authorized", detail: `${who}: ${message}` };
    const transport = transportFailure(e);
    if (transport) return { ok: false, reason: transport, detail: `${who}: ${message}` };
    if ((e as { name?: string }).name === "TimeoutError" || /timeout|aborted/i.test(message)) return { ok: false, reason: "timeout", detail: `${who}: no answer within ${REQUEST_MS} ms` };
    return { ok: false, reason: "unreachable", detail: `${who}: ${message}` };
  }
}

function get(url: URL, headers: Record<string, string>, policy: NetworkPolicy | undefined): Promise<IncomingMessage> {
  return policyRequest(url, { headers: { accept: "application/json, */*", ...headers }, timeoutMs: REQUEST_MS }, policy);
}
