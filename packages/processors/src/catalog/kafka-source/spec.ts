import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { connectionField, meta, topicName } from "../../schema.js";

export const configSchema = z.strictObject({
  topic: topicName.meta(meta("Kafka topic to consume.", { placeholder: "orders" })),
  connection: connectionField("kafka"),
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
  example: { topic: "orders", fromBeginning: false, principalHeader: "mr.principal" },
  docs: `Consumes **topic** (the runner is the Kafka consumer; the flow's consumer group keeps offsets).
With **connection** (a kafka connection's name) the topic is read from that cluster, as that
connection's user; the consumer group and its offsets live there too. Without it, the engine's own
cluster. **fromBeginning** only matters the first time the flow is deployed: afterwards it resumes from its
committed offsets.

Values are JSON-decoded; a message that is not JSON arrives as a string value. Kafka headers become
record headers; the message key becomes the record key.

Every record says who sent it: \`mr.principal\` is the value of the message's **principalHeader**
(\`mr.auth\` = \`kafka-header\`); a message without it gets **principal** (\`mr.auth\` = \`configured\`),
or the user who deployed the flow when none is set (\`mr.auth\` = \`deployment\`). Whatever
\`mr.principal\`/\`mr.auth\` a message carried otherwise is replaced.`,
};
