import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { expression } from "../../schema.js";

export const configSchema = z.strictObject({
  expression: expression("JSONata expression whose result becomes the record's new value.", {
    placeholder: '{ "id": value.id, "total": value.price * value.qty }',
  }),
});
export type MapConfig = z.infer<typeof configSchema>;

export const spec: ProcessorSpec<MapConfig> = {
  type: "map",
  version: 1,
  kind: "transform",
  title: "Map",
  description: "Replaces each record's value with the result of an expression.",
  hasInput: true,
  configSchema,
  outputPorts: () => ["success", "failure"],
  example: { expression: '{ "id": value.id, "total": value.price * value.qty }' },
  docs: `Evaluates a JSONata **expression** against \`{ value, key, headers }\`; the result becomes the new
value. Key and headers are kept.

- a result (including \`null\`) → \`success\`
- no result (JSONata's empty sequence, e.g. \`value.missing\`) → \`failure\` with reason
  "expression produced no value"; give a default with \`value.missing ? value.missing : null\` or \`$exists()\`
- the expression fails → \`failure\`, reason in header \`mr.error\`

Example: \`$merge([value, { "seenAt": $now() }])\``,
};
