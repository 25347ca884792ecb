/**
 * Which registry subject a Kafka node's values go by, worked out from its config the way the
 * engine names it at deploy (a sink's `subject`, else its naming strategy; a source's
 * `<topic>-value`), and what the tap's "infer a schema" fills in from the edge it looks at.
 * Pure: configs and parameters in, names out; the node panel and the tap render them.
 */
import { referencesIn, substituteParameters, type FlowDocument, type FlowEdge, type FlowParameter } from "@millrace/flow";
import { fullName } from "./schemaDiff";
import { parseSchemaText } from "./schemaText";

/** The node types whose values may be Avro in a registry. */
const KAFKA_TYPES = new Set(["kafka-source", "kafka-sink"]);

/** What a kafka node's config says about its value schema (the fields both node types may have). */
interface KafkaSchemaConfig {
  topic?: unknown;
  format?: unknown;
  schemaRegistry?: unknown;
  valueSchema?: unknown;
  subject?: unknown;
  version?: unknown;
  subjectNameStrategy?: unknown;
}

export type SubjectAnswer = { ok: true; subject: string } | { ok: false; reason: string };

/**
 * The schema a kafka node with format avro goes by: the subject and version the designer looks up,
 * the sink's own valueSchema when it has one (registered under the subject at deploy), and the
 * schema-registry connection when the schemas live elsewhere than the engine's own registry.
 */
export type NodeSchemaTarget =
  | { ok: true; subject: string; version: number | "latest"; ownSchema?: string; connection?: string }
  | { ok: false; reason: string };

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The record's full name in an Avro schema's text (`shop.Order`), or why there is none. */
export function recordNameOf(schemaText: string): SubjectAnswer {
  const parsed = parseSchemaText(schemaText);
  if (!parsed.ok) return { ok: false, reason: `valueSchema: ${parsed.error}` };
  const schema = parsed.value;
  if (typeof schema !== "object" || schema === null || Array.isArray(schema) || (schema as { type?: unknown }).type !== "record" || typeof (schema as { name?: unknown }).name !== "string")
    return { ok: false, reason: "valueSchema is not a named record, so this naming strategy has no name to give the subject" };
  return { ok: true, subject: fullName(schema as Record<string, unknown>, undefined) };
}

/** The node's topic with the flow's parameters put in; a reason when it is empty or names a parameter without a value. */
export function topicOf(config: KafkaSchemaConfig, parameters: readonly FlowParameter[]): SubjectAnswer {
  const raw = text(config.topic);
  if (raw === undefined) return { ok: false, reason: "No topic yet: the subject is named after it" };
  const topic = substituteParameters(raw, parameters);
  const missing = referencesIn(topic);
  if (missing.length) return { ok: false, reason: `The topic uses parameter ${missing.map((n) => `“${n}”`).join(", ")}, which has no value here` };
  return { ok: true, subject: topic };
}

/**
 * A kafka-sink's value subject as the engine names it: `subject` when given, else by
 * `subjectNameStrategy` from the topic (`<topic>-value`) or the record's full name in
 * `valueSchema` (record, topic-record). `schemaText` stands in for valueSchema (a schema about
 * to be set, e.g. one just inferred).
 */
export function sinkSubject(config: KafkaSchemaConfig, parameters: readonly FlowParameter[], schemaText = text(config.valueSchema)): SubjectAnswer {
  const subject = text(config.subject);
  if (subject !== undefined) return { ok: true, subject };
  const strategy = text(config.subjectNameStrategy) ?? "topic";
  const topic = topicOf(config, parameters);
  if (strategy === "topic") return topic.ok ? { ok: true, subject: `${topic.subject}-value` } : topic;
  if (schemaText === undefined) return { ok: false, reason: `The ${strategy} strategy names the subject after the record: give valueSchema (or a subject)` };
  const record = recordNameOf(schemaText);
  if (!record.ok || strategy === "record") return record;
  return topic.ok ? { ok: true, subject: `${topic.subject}-${record.subject}` } : topic;
}

/** The schema the node panel shows for a kafka node reading or writing Avro; undefined for any other node or format. */
export function nodeSchemaTarget(node: { type: string; config: Record<string, unknown> }, parameters: readonly FlowParameter[]): NodeSchemaTarget | undefined {
  const config = node.config as KafkaSchemaConfig;
  if (!KAFKA_TYPES.has(node.type) || config.format !== "avro") return undefined;
  const connection = text(config.schemaRegistry);
  const via = connection === undefined ? {} : { connection };
  if (node.type === "kafka-source") {
    // a source decodes every message by the schema id it carries; by convention producers register under <topic>-value
    const topic = topicOf(config, parameters);
    return topic.ok ? { ok: true, subject: `${topic.subject}-value`, version: "latest", ...via } : topic;
  }
  const subject = sinkSubject(config, parameters);
  if (!subject.ok) return subject;
  const ownSchema = text(config.valueSchema);
  const version = typeof config.version === "number" && ownSchema === undefined ? config.version : "latest";
  return { ok: true, subject: subject.subject, version, ...(ownSchema === undefined ? {} : { ownSchema }), ...via };
}

/** The kafka-sink an edge leads into, if it does. */
export function sinkOfEdge(doc: Pick<FlowDocument, "nodes">, edge: Pick<FlowEdge, "to">): FlowDocument["nodes"][number] | undefined {
  const node = doc.nodes.find((n) => n.id === edge.to.node);
  return node?.type === "kafka-sink" ? node : undefined;
}

/** The subject "infer a schema" starts with: the sink's subject (as if the inferred schema were its valueSchema) when the edge leads into one, else blank. */
export function inferredSubjectPrefill(doc: Pick<FlowDocument, "nodes" | "parameters">, edge: Pick<FlowEdge, "to">, inferredText: string): string {
  const sink = sinkOfEdge(doc, edge);
  if (!sink) return "";
  const subject = sinkSubject(sink.config as KafkaSchemaConfig, doc.parameters, inferredText);
  return subject.ok ? subject.subject : "";
}

/**
 * The record name to infer with, from the sink's topic (`orders-enriched` → `OrdersEnriched`) or
 * the edge's source node name; an Avro name has letters, digits and _ and does not start with a digit.
 */
export function recordNameFor(label: string): string | undefined {
  const words = label.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const name = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("").slice(0, 100);
  if (!name) return undefined;
  return /^[0-9]/.test(name) ? `R${name}`.slice(0, 100) : name;
}

/** The label a record name is made from for an edge: the sink's topic, else the upstream node's name or id. */
export function inferLabelOf(doc: Pick<FlowDocument, "nodes" | "parameters">, edge: Pick<FlowEdge, "from" | "to">): string {
  const sink = sinkOfEdge(doc, edge);
  if (sink) {
    const topic = topicOf(sink.config as KafkaSchemaConfig, doc.parameters);
    if (topic.ok) return topic.subject;
  }
  const from = doc.nodes.find((n) => n.id === edge.from.node);
  return from?.name || edge.from.node;
}

/** A sink config that writes Avro with `schemaText` as its valueSchema (a pinned version would contradict it, so it goes). */
export function withValueSchema(config: Record<string, unknown>, schemaText: string): Record<string, unknown> {
  const { version: _pinned, ...rest } = config;
  return { ...rest, format: "avro", valueSchema: schemaText };
}

/** Tapped values to infer from: whole ones only (a value cut at the tap's size limit would mislead), at most `max`. */
export function inferSamples(records: readonly { value?: unknown; truncated?: boolean }[], max = 1_000): unknown[] {
  const out: unknown[] = [];
  for (const r of records) {
    if (r.truncated) continue;
    out.push(r.value ?? null);
    if (out.length >= max) break;
  }
  return out;
}
