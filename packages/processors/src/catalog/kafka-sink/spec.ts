import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { connectionField, expression, meta, topicName } from "../../schema.js";

export const configSchema = z.strictObject({
  topic: topicName.meta(meta("Kafka topic to produce to.", { placeholder: "orders-enriched" })),
  connection: connectionField("kafka"),
  keyExpression: expression("Optional JSONata for the message key; without it the record key is kept.", {
    placeholder: "value.customerId",
  }).optional(),
});
export type KafkaSinkConfig = z.infer<typeof configSchema>;

export const spec: ProcessorSpec<KafkaSinkConfig> = {
  type: "kafka-sink",
  version: 1,
  kind: "sink",
  title: "Kafka sink",
  description: "Writes records to a Kafka topic.",
  hasInput: true,
  configSchema,
  outputPorts: () => ["success", "failure"],
  externalTopic: (c: KafkaSinkConfig) => c?.topic,
  example: { topic: "orders-enriched", keyExpression: "value.customerId" },
  docs: `Writes each record to **topic** (the runner produces; values are JSON-encoded, headers kept).

With **connection** (a kafka connection's name) the topic is on that cluster and is written as that
connection's user; the topic must exist there. Without it, the engine's own cluster.

**keyExpression** (optional, JSONata against \`{ value, key, headers }\`) sets the message key: strings as
is, numbers/booleans as text, objects JSON-encoded, \`null\` or no result = no key. Without it the record
key is kept.

- written records also go to \`success\` (connect it to continue after the write)
- the key expression fails → \`failure\` (reason in \`mr.error\`), not written
- the connection's cluster refuses the write (no WRITE permission on the topic) → \`failure\` (or the
  dead-letter topic) with the topic and the user in \`mr.error\`; the flow keeps running`,
};
