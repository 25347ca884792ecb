import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { connectionField, expression, MESSAGE_FORMATS, meta, writableTopicName } from "../../schema.js";

const avroSchemaText = z
  .string()
  .max(1_000_000, "an Avro schema has at most 1,000,000 characters")
  .superRefine((s, ctx) => {
    try {
      const v: unknown = JSON.parse(s);
      if (typeof v !== "object" && typeof v !== "string") ctx.addIssue({ code: "custom", message: "an Avro schema is a JSON object, array or type name" });
    } catch (e) {
      ctx.addIssue({ code: "custom", message: `not JSON: ${e instanceof Error ? e.message : String(e)}` });
    }
  });
const subjectName = z.string().min(1, "the subject is empty").max(255, "a subject has at most 255 characters");

export const configSchema = z
  .strictObject({
    topic: writableTopicName.meta(meta("Kafka topic to produce to.", { placeholder: "orders-enriched" })),
    connection: connectionField("kafka"),
    keyExpression: expression("Optional JSONata for the message key; without it the record key is kept.", {
      placeholder: "value.customerId",
    }).optional(),
    topicExpression: expression("Optional JSONata choosing each record's topic: topic or one of topics (no result: topic).", {
      placeholder: 'headers."mr.outbox.topic"',
    }).optional(),
    topics: z
      .array(writableTopicName, { error: "topics is a list of topic names" })
      .max(100, "a sink writes at most 100 topics")
      .refine((t) => new Set(t).size === t.length, { message: "a topic is listed twice" })
      .optional()
      .meta(meta("With topicExpression: the other topics this sink may write (created and checked at deploy like topic).")),
    format: z.enum(MESSAGE_FORMATS, { error: "format is one of json, avro, string, bytes" }).default("json").meta(meta("How values are written: json, avro (Confluent wire format), string, bytes (from base64 text).")),
    keyFormat: z.enum(MESSAGE_FORMATS, { error: "keyFormat is one of json, avro, string, bytes" }).default("string").meta(meta("How keys are written (an avro key is written from the key's JSON text).")),
    schemaRegistry: connectionField("schema-registry", "Name of a schema-registry connection for avro (absent: the engine's own registry)."),
    valueSchema: avroSchemaText.optional().meta(meta("avro: the Avro schema of the values (JSON text), registered under the subject when deployed.", { widget: "code", placeholder: '{"type": "record", "name": "Order", "fields": [...]}' })),
    schemaFromRecord: z
      .boolean({ error: "schemaFromRecord is true or false" })
      .optional()
      .meta(meta("avro without valueSchema: write each value with the Avro schema its record carries in the header mr.avro.schema (postgres-cdc with avroSchema), registered under the subject when first seen, so a changed table needs no redeploy.")),
    subject: subjectName.optional().meta(meta("avro without valueSchema: the registered subject whose schema to write with (absent: named by the strategy).", { placeholder: "orders-value" })),
    version: z.number().int("a whole number").min(1, "versions start at 1").optional().meta(meta("The subject's version to write with (absent: the latest when deployed).")),
    subjectNameStrategy: z.enum(["topic", "record", "topic-record"], { error: "subjectNameStrategy is topic, record or topic-record" }).default("topic").meta(meta("How the subject is named: topic (<topic>-value), record (the record's full name), topic-record (<topic>-<record name>).")),
    keySchema: avroSchemaText.optional().meta(meta("keyFormat avro: the Avro schema of the keys (JSON text).", { widget: "code" })),
    keySubject: subjectName.optional().meta(meta("keyFormat avro without keySchema: the subject of the key schema (absent: <topic>-key).")),
  })
  .superRefine((c, ctx) => {
    if (c.format !== "avro" && (c.valueSchema !== undefined || c.subject !== undefined || c.version !== undefined))
      ctx.addIssue({ code: "custom", path: ["format"], message: "valueSchema, subject and version are for format avro" });
    if (c.valueSchema !== undefined && c.subject !== undefined && c.subjectNameStrategy !== "topic")
      ctx.addIssue({ code: "custom", path: ["subject"], message: "give a subject or a subjectNameStrategy other than topic, not both" });
    if (c.schemaFromRecord && c.format !== "avro") ctx.addIssue({ code: "custom", path: ["schemaFromRecord"], message: "schemaFromRecord is for format avro" });
    if (c.schemaFromRecord && (c.valueSchema !== undefined || c.version !== undefined))
      ctx.addIssue({ code: "custom", path: ["schemaFromRecord"], message: "with schemaFromRecord each record carries its schema: leave valueSchema and version out" });
    if (c.format === "avro" && c.valueSchema === undefined && !c.schemaFromRecord && c.subjectNameStrategy !== "topic" && c.subject === undefined)
      ctx.addIssue({ code: "custom", path: ["valueSchema"], message: `the ${c.subjectNameStrategy} strategy names the subject after the record: give valueSchema (or a subject)` });
    if (c.version !== undefined && c.valueSchema !== undefined) ctx.addIssue({ code: "custom", path: ["version"], message: "a version picks a registered schema: give valueSchema or version, not both" });
    if (c.keyFormat !== "avro" && (c.keySchema !== undefined || c.keySubject !== undefined)) ctx.addIssue({ code: "custom", path: ["keyFormat"], message: "keySchema and keySubject are for keyFormat avro" });
    if (c.topicExpression !== undefined && !c.topics?.length) ctx.addIssue({ code: "custom", path: ["topics"], message: "topicExpression picks among topic and topics: list the other topics it may write" });
    if (c.topics !== undefined && c.topicExpression === undefined) ctx.addIssue({ code: "custom", path: ["topicExpression"], message: "topics are written by a topicExpression: give one (or leave topics out)" });
    if (c.topics?.includes(c.topic)) ctx.addIssue({ code: "custom", path: ["topics"], message: `topics lists "${c.topic}", which is the sink's topic already` });
    if (c.topicExpression !== undefined && (c.format === "avro" || c.keyFormat === "avro")) ctx.addIssue({ code: "custom", path: ["topicExpression"], message: "a topicExpression writes json, string or bytes: an avro subject is named per topic" });
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
  routedTopics: (c: KafkaSinkConfig) => (c?.topicExpression === undefined ? undefined : c.topics),
  example: { topic: "orders-enriched", keyExpression: "value.customerId", format: "json", keyFormat: "string", subjectNameStrategy: "topic" },
  docs: `Writes each record to **topic** (the runner produces; values are JSON-encoded, headers kept).

With **connection** (a kafka connection's name) the topic is on that cluster and is written as that
connection's user; the topic must exist there. Without it, the engine's own cluster.

**format** says how values are written: \`json\` (default), \`avro\`, \`string\`, \`bytes\` (the value
is base64 text). With \`avro\` each value is written in the Confluent wire format with a writer
schema chosen at deploy: **valueSchema** (registered under the subject when the flow is deployed;
the subject's compatibility rule decides, an incompatible schema refuses the deploy), or the
registered **subject** (\`version\`, default the latest). The subject is named by
**subjectNameStrategy**: \`topic\` (\`<topic>-value\`, default), \`record\` (the record's full name),
\`topic-record\`. A record that does not fit the schema goes to \`failure\` with the field that failed
(\`value.amount: "x" is not a double\`). **keyFormat** / **keySchema** / **keySubject** do the same for
keys (\`<topic>-key\`). Schemas live in the engine's own registry, or in **schemaRegistry**.

With **schemaFromRecord** (avro, no valueSchema) the writer schema is each record's own, in its header
\`mr.avro.schema\` (a postgres-cdc with **avroSchema** derives it from the table at each change): a schema
seen for the first time is registered under the subject (by **subjectNameStrategy**, or **subject**)
before the record is written, so an added or dropped column becomes the subject's next version
without a redeploy. The header is not written. A record without the header, or whose schema the
registry refuses (incompatible, unreachable: tried again after 10 s), goes to \`failure\` with the reason.

**keyExpression** (optional, JSONata against \`{ value, key, headers }\`) sets the message key: strings as
is, numbers/booleans as text, objects JSON-encoded, \`null\` or no result = no key. Without it the record
key is kept.

**topicExpression** (optional, JSONata like keyExpression) picks each record's topic: **topic** or one of
**topics**, the other topics the sink may write (no result: **topic**). Every one of them is created (on the
engine's cluster) and checked at deploy like **topic**, so a record can never reach a topic outside that
list: one naming another goes to \`failure\` with the topic and those allowed. With the outbox mode of
postgres-cdc: \`"topicExpression": "headers.\\"mr.outbox.topic\\""\`. Not with avro (its subject is per topic).

- written records also go to \`success\` (connect it to continue after the write)
- the key or topic expression fails, or picks a topic not listed → \`failure\` (reason in \`mr.error\`), not written
- the connection's cluster refuses the write (no WRITE permission on the topic) → \`failure\` (or the
  dead-letter topic) with the topic and the user in \`mr.error\`; the flow keeps running`,
};
