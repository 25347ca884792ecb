import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { errorMessage } from "../../expr.js";
import { parseConfig, redact } from "../../config.js";
import { parseNetworkRules, refusal, type NetworkPolicy } from "../../net-policy.js";
import { failed, type BatchProcessor, type MRecord, type ProcessorImpl } from "../../sdk.js";
import { Expressions, type Evaluated } from "../../user-code/expressions.js";
import { spec, type HttpRequestConfig } from "./spec.js";

export const STATUS_HEADER = "http.status";

type Outcome = { port: "success" | "failure"; record: MRecord };

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** A request this processor refuses to make or to finish (policy, size, redirects): its message is the reason. */
class Refused extends Error {}

/** Reads a response body, stopping (and dropping the connection) as soon as it exceeds `max` bytes. */
function readBody(res: IncomingMessage, max: number, signal: AbortSignal): Promise<Buffer> {
  const tooLarge = () => new Refused(`response larger than maxResponseBytes (${max} bytes)`);
  if (Number(res.headers["content-length"]) > max) {
    res.destroy();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: Error | undefined, body?: Buffer) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      if (err) {
        res.destroy();
        reject(err);
      } else resolve(body!);
    };
    const onAbort = () => finish(new Error("aborted"));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    res.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) finish(tooLarge());
      else chunks.push(chunk);
    });
    res.on("end", () => finish(undefined, Buffer.concat(chunks, size)));
    res.on("error", (e) => finish(e));
    res.on("close", () => finish(new Error("connection closed before the response ended")));
  });
}

export const impl: ProcessorImpl<HttpRequestConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    const c = parseConfig(spec, config);
    // both expressions of a batch evaluated at once, before any request (in the user-code pool unless simple)
    const sources = [c.urlExpression, c.body].filter((x): x is string => !!x);
    const exprs = sources.length ? new Expressions(sources, "value") : undefined;
    const urlAt = c.urlExpression ? 0 : -1;
    const bodyAt = c.body ? sources.length - 1 : -1;
    const bodyExpr = bodyAt >= 0;
    const sendsValue = !bodyExpr && (c.method === "POST" || c.method === "PUT" || c.method === "PATCH");
    const connection = ctx.connection?.type === "http" ? ctx.connection : undefined;
    // relative URLs resolve under the connection's base URL, whose credentials go to its origin only
    const base = connection ? new URL(connection.baseUrl.endsWith("/") ? connection.baseUrl : `${connection.baseUrl}/`) : undefined;
    const ownHeaders = connection ? { ...connection.headers, ...c.headers } : c.headers;
    const configured = new Set(Object.keys(ownHeaders).map((h) => h.toLowerCase()));
    // every configured header may hold a secret (#{parameters}): none of them follows a redirect to another origin
    const credentialHeaders = new Set([...configured, "authorization", "cookie", "proxy-authorization"]);
    const baseHeaders: Record<string, string> = configured.has("accept") ? { ...ownHeaders } : { accept: "*/*", ...ownHeaders };
    const hasContentType = configured.has("content-type");
    const secrets = [c.url, ...Object.values(c.headers), ...(connection?.secrets ?? [])];
    const fail = (r: MRecord, reason: string) => failed(r, redact(reason, secrets), ctx.nodeId);

    const nodePolicy: NetworkPolicy | undefined =
      c.allowHosts || c.denyHosts
        ? { allow: c.allowHosts ? parseNetworkRules(c.allowHosts, "allowHosts") : undefined, deny: parseNetworkRules(c.denyHosts ?? [], "denyHosts") }
        : undefined;
    const policies = [ctx.network, nodePolicy].filter((p): p is NetworkPolicy => p !== undefined);
    // the address checked is the address connected to: a name cannot resolve to an allowed address for the check and another for the connection
    const checkedLookup = (port: number): LookupFunction =>
      ((hostname: string, options: { all?: boolean }, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
        dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
          if (err) return callback(err, []);
          const why = refusal(policies, hostname, port, addresses.map((a) => a.address));
          if (why) return callback(new Refused(`refused by the network policy: ${why}`), []);
          if (options.all) callback(null, addresses);
          else callback(null, addresses[0].address, addresses[0].family);
        });
      }) as LookupFunction;
    const agents = { "http:": new http.Agent({ keepAlive: true }), "https:": new https.Agent({ keepAlive: true }) };

    function send(url: URL, method: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal): Promise<IncomingMessage> {
      const protocol = url.protocol as "http:" | "https:";
      const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
      const port = url.port ? Number(url.port) : protocol === "https:" ? 443 : 80;
      if (policies.length > 0 && isIP(host)) {
        const why = refusal(policies, host, port, [host]);
        if (why) return Promise.reject(new Refused(`refused by the network policy: ${why}`));
      }
      const lib = protocol === "https:" ? https : http;
      return new Promise((resolve, reject) => {
        const req = lib.request({
          protocol,
          hostname: host,
          port,
          path: url.pathname + url.search,
          method,
          headers: body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) },
          agent: agents[protocol],
          signal,
          lookup: policies.length > 0 ? checkedLookup(port) : undefined,
        });
        req.on("response", resolve);
        req.on("error", reject);
        req.end(body);
      });
    }

    /** One request and its redirects, within `signal`; the final response (its body unread). */
    async function exchange(first: URL, headers: Record<string, string>, body: string | undefined, signal: AbortSignal): Promise<IncomingMessage> {
      let url = first;
      let method: string = c.method;
      for (let hop = 0; ; hop++) {
        const res = await send(url, method, headers, body, signal);
        const location = res.headers.location;
        if (!REDIRECT_STATUSES.has(res.statusCode!) || !location || c.maxRedirects === 0) return res;
        res.destroy();
        if (hop >= c.maxRedirects) throw new Refused(`too many redirects (maxRedirects ${c.maxRedirects})`);
        const next = new URL(location, url);
        if (next.protocol !== "http:" && next.protocol !== "https:") throw new Refused("redirected to a URL that is not http(s)");
        if (next.origin !== url.origin) {
          const kept: Record<string, string> = {};
          for (const [k, v] of Object.entries(headers)) if (!credentialHeaders.has(k.toLowerCase())) kept[k] = v;
          headers = kept;
        }
        // as browsers do: 303, and 301/302 after a POST, continue as a GET without the body
        if ((res.statusCode === 303 && method !== "HEAD") || ((res.statusCode === 301 || res.statusCode === 302) && method === "POST")) {
          method = "GET";
          body = undefined;
          const rest: Record<string, string> = {};
          for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() !== "content-type") rest[k] = v;
          headers = rest;
        }
        url = next;
      }
    }

    /** `evaluated`: the batch's expression results (absent without expressions); `i`: the record's index there. */
    async function one(r: MRecord, i: number, evaluated: Evaluated | undefined): Promise<Outcome> {
      let url = c.url ?? connection?.baseUrl ?? "";
      let body: string | undefined;
      let headers = baseHeaders;
      let target: URL;
      try {
        const failure = evaluated?.failures.size ? evaluated.failures.get(i) : undefined;
        if (failure) return { port: "failure", record: fail(r, failure[1]) };
        if (urlAt >= 0) {
          const u = evaluated!.results[i * sources.length + urlAt];
          if (typeof u !== "string" || (!/^https?:\/\//i.test(u) && (!base || /^[a-z][a-z0-9+.-]*:/i.test(u))))
            return { port: "failure", record: fail(r, base ? "urlExpression did not produce an http(s) URL or a path" : "urlExpression did not produce an http(s) URL") };
          url = u;
        }
        target = new URL(url, base);
        if (base && target.origin !== base.origin) return { port: "failure", record: fail(r, `${target.origin} is not the origin of connection "${connection!.name}" (${base.origin}): its credentials go there only`) };
        let payload: unknown = undefined;
        if (bodyExpr) payload = evaluated!.results[i * sources.length + bodyAt];
        else if (sendsValue) payload = r.value;
        if (payload !== undefined) {
          if (typeof payload === "string") body = payload;
          else {
            body = JSON.stringify(payload);
            if (!hasContentType) headers = { ...baseHeaders, "content-type": "application/json" };
          }
        }
        if (target.username && !configured.has("authorization")) {
          const credentials = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
          headers = { ...headers, authorization: "Basic " + Buffer.from(credentials).toString("base64") };
        }
      } catch (e) {
        return { port: "failure", record: fail(r, errorMessage(e)) };
      }
      // one deadline for the whole exchange: every hop, the headers and the body
      const deadline = AbortSignal.timeout(c.timeoutMs);
      const signal = AbortSignal.any([ctx.signal, deadline]);
      let res: IncomingMessage;
      let text: string;
      try {
        res = await exchange(target, headers, body, signal);
        const ok = res.statusCode! >= 200 && res.statusCode! <= 299;
        if (!ok || c.method === "HEAD") res.destroy();
        text = ok && c.method !== "HEAD" ? (await readBody(res, c.maxResponseBytes, signal)).toString("utf8") : "";
      } catch (e) {
        const err = e as { code?: string };
        const reason =
          deadline.aborted ? `request timed out after ${c.timeoutMs} ms`
          : ctx.signal.aborted ? "request aborted (deployment stopping)"
          : e instanceof Refused ? e.message
          : `request failed: ${err?.code ?? errorMessage(e)}`;
        return { port: "failure", record: fail(r, reason) };
      }
      const status = String(res.statusCode);
      if (res.statusCode! < 200 || res.statusCode! > 299) {
        const f = fail(r, `HTTP ${res.statusCode}${res.statusMessage ? " " + res.statusMessage : ""}`);
        f.headers[STATUS_HEADER] = status;
        return { port: "failure", record: f };
      }
      if (c.responseTo === "header") {
        return { port: "success", record: { key: r.key, value: r.value, headers: { ...r.headers, [STATUS_HEADER]: status, [c.responseHeader]: text } } };
      }
      let value: unknown = text === "" ? null : text;
      if (text !== "" && (res.headers["content-type"] ?? "").includes("json")) {
        try {
          value = JSON.parse(text);
        } catch {
          /* keep the text */
        }
      }
      return { port: "success", record: { key: r.key, value, headers: { ...r.headers, [STATUS_HEADER]: status } } };
    }

    return {
      async process(records, out) {
        const n = records.length;
        const evaluated = exprs ? await exprs.evaluate(records) : undefined;
        const results: Outcome[] = new Array(n);
        let next = 0;
        const worker = async () => {
          while (next < n) {
            const i = next++;
            try {
              results[i] = await one(records[i], i, evaluated);
            } catch (e) {
              results[i] = { port: "failure", record: fail(records[i], errorMessage(e)) };
            }
          }
        };
        const workers: Promise<void>[] = [];
        for (let w = 0; w < Math.min(c.concurrency, n); w++) workers.push(worker());
        await Promise.all(workers);
        for (let i = 0; i < n; i++) out.emit(results[i].port, results[i].record, i);
      },
      close() {
        agents["http:"].destroy();
        agents["https:"].destroy();
      },
    };
  },
};
