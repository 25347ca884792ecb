import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { expression } from "../../schema.js";

export const configSchema = z.strictObject({
  expression: expression("Keeps a record when this JSONata expression is true (evaluated against { value, key, headers }).", {
    placeholder: "value.amount > 10",
  }),
});
export type FilterConfig = z.infer<typeof configSchema>;

export const spec: ProcessorSpec<FilterConfig> = {
  type: "filter",
  version: 1,
  kind: "transform",
  title: "Filter",
  description: "Keeps the records for which an expression is true and drops the others.",
  hasInput: true,
  configSchema,
  outputPorts: () => ["success", "failure"],
  example: { expression: "value.amount > 10" },
  docs: `Evaluates a JSONata **expression** against \`{ value, key, headers }\` of each record.

- true (JSONata \`$boolean\` rules: non-zero numbers, non-empty strings/arrays/objects) → \`success\`, unchanged
- false, null or no result → the record is dropped (nothing is emitted)
- the expression fails (e.g. \`value.a > 1\` when \`a\` is a string) → \`failure\`, reason in header \`mr.error\`

Example: \`value.amount > 10 and headers.country = "NL"\``,
};
