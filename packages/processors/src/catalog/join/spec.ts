import { z } from "zod";
import { NodeIdSchema } from "@millrace/flow";
import type { ProcessorSpec } from "../../sdk.js";
import { expression, meta, topicName } from "../../schema.js";

export const JOIN_TYPES = ["inner", "left"] as const;

export const configSchema = z
  .strictObject({
    table: NodeIdSchema.optional().meta(meta("The id of a table or aggregate node of this flow to look rows up in.")),
    topic: topicName.optional().meta(meta("Or a compacted topic to read as a table (its latest value per key).")),
    key: expression("The key looked up for each record.", { placeholder: "value.customerId" }),
    type: z.enum(JOIN_TYPES, { error: "type is inner or left" }).default("inner").meta(meta("inner: records without a row are dropped; left: they go on with table = null.")),
    merge: expression("The output value, from value (the record's) and table (the row found).", { placeholder: '$merge([value, { "customer": table }])' }),
  })
  .superRefine((c, ctx) => {
    if (c.table === undefined && c.topic === undefined) ctx.addIssue({ code: "custom", path: ["table"], message: "give table (a table or aggregate node) or topic (a compacted topic)" });
    else if (c.table !== undefined && c.topic !== undefined) ctx.addIssue({ code: "custom", path: ["topic"], message: "give table or topic, not both" });
  });
export type JoinConfig = z.infer<typeof configSchema>;

export const spec: ProcessorSpec<JoinConfig> = {
  type: "join",
  version: 1,
  kind: "transform",
  title: "Join",
  description: "Enriches each record with the row a table holds for its key (a stream–table join).",
  hasInput: true,
  configSchema,
  outputPorts: () => ["success", "failure"],
  lookup: (c: JoinConfig) => (c?.table !== undefined ? { node: c.table, nodeField: "table" } : c?.topic !== undefined ? { topic: c.topic } : undefined),
  example: { table: "customers", key: "value.customerId", type: "left", merge: '$merge([value, { "customer": table }])' },
  docs: `For each record of its input, looks up **key** in a table and emits what **merge** builds.

- **table**: the id of a \`table\` or \`aggregate\` node of the same flow (its current rows), or **topic**: a
  compacted topic read as a table (the latest value per key; \`null\` deletes)
- **key**: expression giving the key to look up (strings as they are, other results JSON-encoded; no result
  or \`null\` → \`failure\`)
- **type**: \`inner\` (default) drops a record whose key has no row; \`left\` merges it with \`table\` = \`null\`
- **merge**: JSONata evaluated against \`{ value, key, headers, table }\`; its result is the output value
  (key and headers kept). No result → \`failure\`

The lookup sees the table as it is when the record is processed: a row updated later does not change
records already joined. Every engine running the join keeps a copy of the whole table (read from its
changelog or the topic, kept current; the flow starts once the copy has caught up), so the stream
needs no repartitioning; the copy holds at most 1,000,000 rows. Example: \`{ "order": value, "customer": table.name }\``,
};
