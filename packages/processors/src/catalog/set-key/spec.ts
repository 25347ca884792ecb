import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { expression } from "../../schema.js";

export const configSchema = z.strictObject({
  expression: expression("JSONata expression whose result becomes the record key (Kafka partitioning key).", {
    placeholder: "value.customerId",
  }),
});
export type SetKeyConfig = z.infer<typeof configSchema>;

export const spec: ProcessorSpec<SetKeyConfig> = {
  type: "set-key",
  version: 1,
  kind: "transform",
  title: "Set key",
  description: "Sets the record key (which decides the Kafka partition) from an expression.",
  hasInput: true,
  configSchema,
  outputPorts: () => ["success", "failure"],
  example: { expression: "value.customerId" },
  docs: `Evaluates a JSONata **expression** against \`{ value, key, headers }\`; the result becomes the key.

- strings as is; numbers and booleans as text; objects and arrays JSON-encoded → \`success\`
- \`null\` → the record has no key (\`success\`)
- no result (a missing field) → \`failure\` with reason "expression produced no key"
- the expression fails → \`failure\`, reason in header \`mr.error\``,
};
