import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { expression, headerName, meta } from "../../schema.js";

export const configSchema = z.strictObject({
  headers: z
    .record(z.string(), expression("Header value expression."))
    .superRefine((h, ctx) => {
      const names = Object.keys(h);
      if (names.length === 0) ctx.addIssue({ code: "custom", message: "set at least one header" });
      for (const n of names) {
        const r = headerName.safeParse(n);
        if (!r.success) ctx.addIssue({ code: "custom", path: [n], message: r.error.issues[0].message });
      }
    })
    .meta(meta("Header name → JSONata expression evaluated against { value, key, headers }.", { widget: "keyvalue" })),
});
export type SetHeadersConfig = z.infer<typeof configSchema>;

export const spec: ProcessorSpec<SetHeadersConfig> = {
  type: "set-headers",
  version: 1,
  kind: "transform",
  title: "Set headers",
  description: "Sets record headers from expressions.",
  hasInput: true,
  configSchema,
  outputPorts: () => ["success", "failure"],
  example: { headers: { country: "value.address.country", source: '"web"' } },
  docs: `For each entry of **headers** (name → JSONata expression), evaluates the expression against the
*input* record's \`{ value, key, headers }\` and sets the header:

- strings as is; numbers and booleans as text; objects and arrays JSON-encoded
- \`null\` removes the header; no result (e.g. a missing field) leaves it unchanged
- any expression fails → the record goes to \`failure\` (reason in \`mr.error\`), no header changed

Literal text needs quotes: \`"web"\`. Names starting with \`mr.\` are reserved for the runtime.`,
};
