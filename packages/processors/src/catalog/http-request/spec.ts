import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { connectionField, expression, headerName, meta, ownOrNamedConnection, secretMeta } from "../../schema.js";
import { parseNetworkRule } from "../../net-policy.js";

const ABSOLUTE_URL = /^https?:\/\//i;

export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

const networkList = (description: string) =>
  z
    .array(
      z.string().superRefine((entry, ctx) => {
        const r = parseNetworkRule(entry);
        if (typeof r === "string") ctx.addIssue({ code: "custom", message: r });
      }),
    )
    .optional()
    .meta(meta(description));

export const configSchema = z
  .strictObject({
    connection: connectionField("http"),
    url: z
      .string({ error: "a url is required" })
      .min(1, "the url is empty")
      .optional()
      .meta(
        secretMeta("Request URL (used when urlExpression is not set), or with a connection a path under its base URL; may carry credentials or a token, so a sensitive #{parameter} is allowed.", {
          placeholder: "https://api.example.com/orders",
        }),
      ),
    urlExpression: expression("Optional JSONata producing the URL per record, e.g. $join([\"https://api/x/\", value.id]).").optional(),
    method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"], { error: "method is GET, POST, PUT, PATCH, DELETE or HEAD" }).default("POST").meta(meta("HTTP method.")),
    headers: z.record(z.string().min(1), z.string()).default({}).meta(secretMeta("Request headers (literal text; #{parameters} allowed, sensitive ones too: e.g. Authorization: Bearer #{token}).", { widget: "keyvalue" })),
    body: expression("JSONata producing the request body; default: the record value for POST/PUT/PATCH, none otherwise.", { placeholder: "value" }).optional(),
    responseTo: z.enum(["value", "header"]).default("value").meta(meta("Where the response body goes: the new value, or a header (value kept).")),
    responseHeader: headerName.default("http.response").meta(meta("Header name used when responseTo is 'header'.")),
    timeoutMs: z.number().int().min(1).max(300_000).default(10_000).meta(meta("Per-request timeout (ms).")),
    concurrency: z.number().int().min(1).max(256).default(8).meta(meta("Requests in flight at once within a batch.")),
    maxResponseBytes: z
      .number()
      .int()
      .min(1)
      .max(100 * 1024 * 1024, "maxResponseBytes is at most 100 MB (104857600)")
      .default(DEFAULT_MAX_RESPONSE_BYTES)
      .meta(meta("Largest response body read (bytes); a larger one fails the record.")),
    maxRedirects: z.number().int().min(0).max(20).default(10).meta(meta("Redirects followed per request (0: a redirect is a failure).")),
    allowHosts: networkList("Only these destinations may be called: host names (*.example.com), addresses or CIDR networks, optionally :port."),
    denyHosts: networkList("Destinations never called (same forms as allowHosts), besides the engine's own deny list."),
  })
  .superRefine((c, ctx) => {
    if (c.connection === undefined) ownOrNamedConnection("url")(c, ctx);
    if (c.url !== undefined && !ABSOLUTE_URL.test(c.url) && !c.url.startsWith("#{") && (c.connection === undefined || /^[a-z][a-z0-9+.-]*:/i.test(c.url)))
      ctx.addIssue({ code: "custom", path: ["url"], message: c.connection === undefined ? "the url must start with http:// or https:// (or be a #{parameter})" : "the url must be http(s)://… or a path under the connection's base URL" });
    if (c.body && (c.method === "GET" || c.method === "HEAD"))
      ctx.addIssue({ code: "custom", path: ["body"], message: `a ${c.method} request has no body` });
  });
export type HttpRequestConfig = z.infer<typeof configSchema>;

export const spec: ProcessorSpec<HttpRequestConfig> = {
  type: "http-request",
  version: 1,
  kind: "transform",
  title: "HTTP request",
  description: "Calls an HTTP endpoint per record; the response becomes the value or a header.",
  hasInput: true,
  configSchema,
  outputPorts: () => ["success", "failure"],
  example: {
    url: "https://httpbin.org/anything",
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "value",
    responseTo: "value",
    responseHeader: "http.response",
    timeoutMs: 10000,
    concurrency: 8,
    maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
    maxRedirects: 10,
  },
  docs: `With **connection** (an http connection's name) **url** (and **urlExpression**'s result) may be
a path under the connection's base URL (\`orders/1\`; absent: the base URL itself), and the
connection's credentials are sent as its headers. Without it, **url** is required.

Sends one request per record to **url** (or **urlExpression**, JSONata per record) with **method**
and the literal **headers**. The body is **body** (JSONata against \`{ value, key, headers }\`) or, by
default, the record value for POST/PUT/PATCH: strings are sent as is, anything else as JSON
(\`content-type: application/json\` unless set).

- 2xx → \`success\`: with **responseTo** \`value\` the response becomes the value (JSON parsed when the
  response is JSON, else text; empty = \`null\`); with \`header\` the value is kept and the body text is put
  in header **responseHeader**. Header \`http.status\` holds the status.
- non-2xx → \`failure\` with \`mr.error\` = \`HTTP <status> <reason>\` and header \`http.status\`
- timeout (**timeoutMs**, covering the whole exchange: redirects, headers and body), a response body
  larger than **maxResponseBytes** (default 10 MB, at most 100 MB; reading stops there), connection
  errors, failing expressions → \`failure\` with the reason

Redirects are followed up to **maxRedirects**; when one leads to another origin (scheme, host or port),
\`Authorization\`, \`Cookie\`, \`Proxy-Authorization\` and every configured header are dropped for the
rest of the chain. Every hop's host is checked, after DNS resolution and against the address actually
connected to, with the engine's network policy (by default link-local addresses such as
169.254.169.254 and the engine itself are refused) and this node's **allowHosts** / **denyHosts**.

Up to **concurrency** requests of a batch run at once; outputs keep the input order. Error messages
never contain the URL's credentials nor header values.`,
};
