import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { connectionField, MESSAGE_FORMATS, meta, topicName } from "../../schema.js";

export const configSchema = z.strictObject({
  topic: topicName.meta(meta("Kafka topic to consume.", { placeholder: "orders" })),
  connection: connectionField("kafka"),
  format: z.enum(MESSAGE_FORMATS, { error: "format is one of json, avro, string, bytes" }).default("json").meta(meta("How message values are read: json (text that is not JSON stays text), avro (Confluent wire format, any schema version the registry has), string, bytes (base64 text).")),
  keyFormat: z.enum(MESSAGE_FORMATS, { error: "keyFormat is one of json, avro, string, bytes" }).default("string").meta(meta("How message keys are read (a structured key becomes its JSON text).")),
  schemaRegistry: connectionField("schema-registry", "Name of a schema-registry connection for avro (absent: the engine's own registry)."),
  fromBeginning: z.boolean().default(false).meta(meta("On first deployment, start at the earliest offset instead of the latest.")),
  principalHeader: z
    .string()
    .min(1, "the header name is empty")
    .max(200, "a header name has at most 200 characters")
    .default("mr.principal")
    .meta(meta("Header of the incoming message that names who sent it (becomes the record's mr.principal).", { placeholder: "mr.principal" })),
  principal: z
    .string()
    .min(1, "the principal is empty")
    .max(200, "a principal has at most 200 characters")
    .optional()
    .meta(meta("Who sent the messages that lack that header (default: the user who deployed the flow).", { placeholder: "billing-service" })),
});
export type KafkaSourceConfig = z.infer<typeof configSchema>;

export const spec: ProcessorSpec<KafkaSourceConfig> = {
  type: "kafka-source",
  version: 1,
  kind: "source",
  title: "Kafka source",
  description: "Consumes an existing Kafka topic.",
  hasInput: false,
  configSchema,
  outputPorts: () => ["success"],
  externalTopic: (c: KafkaSourceConfig) => c?.topic,
  inputValues: () => "pass",
  example: { topic: "orders", format: "json", keyFormat: "string", fromBeginning: false, principalHeader: "mr.principal" },
  docs: `Consumes **topic** (the runner is the Kafka consumer; the flow's consumer group keeps offsets).
With **connection** (a kafka connection's name) the topic is read from that cluster, as that
connection's user; the consumer group and its offsets live there too. Without it, the engine's own
cluster. **fromBeginning** only matters the first time the flow is deployed: afterwards it resumes from its
committed offsets.

**format** says how values are read: \`json\` (default; a message that is not JSON arrives as a
string value), \`avro\` (Confluent wire format: magic byte 0, the schema id, Avro binary; each message
is decoded with the schema its id names, so every version a producer used is read; the value is
plain JSON inside the flow, bytes fields as base64), \`string\`, \`bytes\` (base64 text). **keyFormat**
the same for keys (default \`string\`). Avro schemas come from the engine's own registry, or from
**schemaRegistry** (a schema-registry connection). A message that cannot be read in its format
goes to the flow's dead-letter topic with the reason. Kafka headers become record headers; the
message key becomes the record key.

Every record says who sent it: \`mr.principal\` is the value of the message's **principalHeader**
(\`mr.auth\` = \`kafka-header\`); a message without it gets **principal** (\`mr.auth\` = \`configured\`),
or the user who deployed the flow when none is set (\`mr.auth\` = \`deployment\`). Whatever
\`mr.principal\`/\`mr.auth\` a message carried otherwise is replaced.`,
};
