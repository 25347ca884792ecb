import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { refusal, type NetworkPolicy } from "@millrace/processors";

/** A request the engine's network policy refuses. */
export class Refused extends Error {}

/**
 * One HTTP request under the engine's network policy, as http-request makes them: the address
 * checked is the address connected to (checked in the DNS lookup, so a name cannot resolve
 * elsewhere afterwards). Redirects are not followed.
 */
export function policyRequest(url: URL, o: { method?: string; headers: Record<string, string>; body?: string; timeoutMs: number }, policy: NetworkPolicy | undefined): Promise<IncomingMessage> {
  const protocol = url.protocol as "http:" | "https:";
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port ? Number(url.port) : protocol === "https:" ? 443 : 80;
  const policies = policy ? [policy] : [];
  if (policies.length && isIP(host)) {
    const why = refusal(policies, host, port, [host]);
    if (why) return Promise.reject(new Refused(`refused by the network policy: ${why}`));
  }
  const lookup = ((hostname: string, options: { all?: boolean }, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const why = refusal(policies, hostname, port, addresses.map((a) => a.address));
      if (why) return callback(new Refused(`refused by the network policy: ${why}`), []);
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  }) as LookupFunction;
  return new Promise((resolve, reject) => {
    const req = (protocol === "https:" ? https : http).request({
      protocol,
      hostname: host,
      port,
      path: url.pathname + url.search,
      method: o.method ?? "GET",
      headers: o.headers,
      signal: AbortSignal.timeout(o.timeoutMs),
      lookup: policies.length ? lookup : undefined,
    });
    req.on("response", resolve);
    req.on("error", reject);
    req.end(o.body);
  });
}
