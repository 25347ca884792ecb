import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { meta, topicName } from "../../schema.js";

export const configSchema = z.strictObject({
  topic: topicName.meta(meta("Kafka topic to consume.", { placeholder: "orders" })),
  fromBeginning: z.boolean().default(false).meta(meta("On first deployment, start at the earliest offset instead of the latest.")),
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
  example: { topic: "orders", fromBeginning: false },
  docs: `Consumes **topic** (the runner is the Kafka consumer; the flow's consumer group keeps offsets).
**fromBeginning** only matters the first time the flow is deployed: afterwards it resumes from its
committed offsets.

Values are JSON-decoded; a message that is not JSON arrives as a string value. Kafka headers become
record headers; the message key becomes the record key.`,
};
