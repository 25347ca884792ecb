import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { meta, secretMeta } from "../../schema.js";

/** How a request proves who sends it; each sets the record's `mr.auth` to its own name. */
export const HTTP_LISTEN_AUTH = ["none", "token", "api-key", "hmac"] as const;

export const configSchema = z
  .strictObject({
    path: z
      .string({ error: "a path is required" })
      .regex(/^\/[A-Za-z0-9._~\-/]*$/, "a path starts with '/' and has letters, digits, '.', '_', '~', '-' or '/'")
      .max(200, "a path has at most 200 characters")
      .meta(meta("URL path the engine serves for this flow, e.g. /orders.", { placeholder: "/orders" })),
    maxPending: z
      .number()
      .int()
      .min(1, "maxPending must be at least 1")
      .max(100_000, "maxPending is at most 100000")
      .default(1000)
      .meta(meta("Requests buffered before the engine answers 503 (back pressure).")),
    auth: z
      .enum(HTTP_LISTEN_AUTH, { error: "auth is one of none, token, api-key, hmac" })
      .default("none")
      .meta(meta("How callers authenticate: none, token (a Millrace API token), api-key (a key in a header), hmac (a signature of the body).")),
    header: z
      .string()
      .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, "a header name has letters, digits and -_. (at most 100)")
      .optional()
      .meta(meta("api-key / hmac: the request header carrying the key or the signature (default x-api-key / x-signature).", { placeholder: "x-api-key" })),
    key: z
      .string()
      .min(1, "the key is empty")
      .optional()
      .meta(secretMeta("api-key: the key callers send (use a sensitive #{parameter}).", { widget: "password", placeholder: "#{ingest.key}" })),
    secret: z
      .string()
      .min(1, "the secret is empty")
      .optional()
      .meta(secretMeta("hmac: the shared secret of the HMAC-SHA256 signature (use a sensitive #{parameter}).", { widget: "password", placeholder: "#{ingest.secret}" })),
    principal: z
      .string()
      .min(1, "the principal is empty")
      .max(200, "a principal has at most 200 characters")
      .optional()
      .meta(meta("api-key / hmac: who the records say sent them (mr.principal).", { placeholder: "billing-service" })),
  })
  .superRefine((c, ctx) => {
    if (c.auth === "api-key" && c.key === undefined) ctx.addIssue({ code: "custom", path: ["key"], message: "auth api-key needs the key callers send" });
    if (c.auth === "hmac" && c.secret === undefined) ctx.addIssue({ code: "custom", path: ["secret"], message: "auth hmac needs the shared secret" });
    if ((c.auth === "api-key" || c.auth === "hmac") && c.principal === undefined)
      ctx.addIssue({ code: "custom", path: ["principal"], message: `auth ${c.auth} needs a principal: the name the records carry as their sender` });
  });
export type HttpListenConfig = z.infer<typeof configSchema>;

export const spec: ProcessorSpec<HttpListenConfig> = {
  type: "http-listen",
  version: 1,
  kind: "source",
  title: "HTTP listen",
  description: "Turns HTTP requests the engine receives on a path into records.",
  hasInput: false,
  configSchema,
  outputPorts: () => ["success"],
  ingress: (c) => ({ path: c.path }),
  example: { path: "/orders", maxPending: 1000, auth: "none" },
  docs: `The engine's HTTP server accepts requests on **path** and hands each one to this source as a record
(the JSON body as value, non-JSON bodies as a string; request headers as \`http.*\` headers).

At most **maxPending** requests wait to be polled into the flow; beyond that the engine answers
\`503 Service Unavailable\` so clients can retry (back pressure). A request is accepted (\`202\`) once
buffered, before the flow has processed it.

**auth** decides who may send, and every record says who did in \`mr.principal\` (and how, in \`mr.auth\`):
- \`none\` (default): anyone; \`mr.principal\` is \`anonymous\`.
- \`token\`: a Millrace API token in \`Authorization: Bearer mr_…\`; the principal is the token's user.
- \`api-key\`: **header** (default \`x-api-key\`) must equal **key**; the principal is **principal**.
- \`hmac\`: **header** (default \`x-signature\`) holds the HMAC-SHA256 of the raw body with **secret**, in hex
  or base64 (an optional \`sha256=\` prefix is allowed); the principal is **principal**.

A request that fails its check gets \`401\` and nothing is written. \`Authorization\`, \`Cookie\` and the
api-key header never become record headers.`,
};
