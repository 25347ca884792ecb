import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { meta } from "../../schema.js";

export const configSchema = z.strictObject({
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
  example: { path: "/orders", maxPending: 1000 },
  docs: `The engine's HTTP server accepts requests on **path** and hands each one to this source as a record
(the JSON body as value, non-JSON bodies as a string; request headers as \`http.*\` headers).

At most **maxPending** requests wait to be polled into the flow; beyond that the engine answers
\`503 Service Unavailable\` so clients can retry (back pressure). A request is accepted (\`202\`) once
buffered, before the flow has processed it.`,
};
