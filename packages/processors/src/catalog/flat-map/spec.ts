import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { expression } from "../../schema.js";

export const configSchema = z.strictObject({
  expression: expression("JSONata expression producing an array; each element becomes one record.", {
    placeholder: "value.items",
  }),
});
export type FlatMapConfig = z.infer<typeof configSchema>;

export const spec: ProcessorSpec<FlatMapConfig> = {
  type: "flat-map",
  version: 1,
  kind: "transform",
  title: "Flat map",
  description: "Splits a record into one record per element of an array expression.",
  hasInput: true,
  configSchema,
  outputPorts: () => ["success", "failure"],
  forks: true,
  example: { expression: "value.items" },
  docs: `Evaluates a JSONata **expression** against \`{ value, key, headers }\`. It must produce an array;
each element becomes the value of one new record on \`success\`, with the parent's key and headers
(lineage: every child has the input as parent). An empty array emits nothing.

- not an array, or no result → \`failure\` with reason "expression did not produce an array"
- the expression fails → \`failure\`, reason in header \`mr.error\`

Note: JSONata collapses a one-element *path result* to a single value (\`value.items.sku\` with one
item is a string). Wrap it in an array constructor to always get an array: \`[value.items.sku]\`.
A real array in the input (\`value.items\`) is returned as is.`,
};
