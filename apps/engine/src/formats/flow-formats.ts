import type { ExecutionPlan, PlannedNode } from "../planner/index.js";
import { AvroCodec } from "./avro.js";
import { RecordSchemas } from "./record-schemas.js";
import { messageDecoder, recordEncoder, SchemaCache, type Format, type MessageDecoder, type RecordEncoder, type WriterSchema } from "./codecs.js";
import type { SchemaStore } from "./schema-store.js";

/** What a node with an external topic (kafka-source, kafka-sink) says about formats in its config. */
interface FormatConfig {
  format?: Format;
  keyFormat?: Format;
  valueSchema?: string;
  subject?: string;
  version?: number;
  subjectNameStrategy?: "topic" | "record" | "topic-record";
  keySchema?: string;
  keySubject?: string;
  schemaFromRecord?: boolean;
}

export interface FlowFormats {
  /** per kafka-source stage (by stage id) reading another format */
  decoders: Map<string, MessageDecoder>;
  /** per kafka-sink node writing another format */
  encoders: Map<string, RecordEncoder>;
}

/**
 * The decoders and encoders of a plan's Kafka nodes, made once when the flow starts: writer
 * schemas are registered (valueSchema, under the subject its strategy names) or looked up
 * (subject, version) now, so the record path only encodes. `storeOf` answers a node's registry
 * (its schemaRegistry connection, or the engine's own); `cacheOf` its engine-wide schema cache.
 */
export async function flowFormats(plan: ExecutionPlan, storeOf: (node: PlannedNode) => SchemaStore | undefined, cacheOf: (store: SchemaStore) => SchemaCache): Promise<FlowFormats> {
  const out: FlowFormats = { decoders: new Map(), encoders: new Map() };
  for (const node of plan.nodes) {
    const c = node.config as FormatConfig;
    const format = c.format ?? "json";
    const keyFormat = c.keyFormat ?? "string";
    if (format === "json" && keyFormat === "string") continue;
    const external = node.ports.find((p) => p.externalTopic !== undefined)?.externalTopic;
    const avro = format === "avro" || keyFormat === "avro";
    const store = avro ? storeOf(node) : undefined;
    if (avro && !store) throw new Error(`node "${node.id}": format avro needs a schema registry, and this engine has none`);
    if (node.kind === "source") {
      const stage = plan.stages.find((s) => s.head === node.id);
      const decoder = messageDecoder(format, keyFormat, store ? cacheOf(store) : undefined);
      if (stage && decoder) out.decoders.set(stage.id, decoder);
      continue;
    }
    if (external === undefined) continue;
    // schemaFromRecord: each record carries its value's schema, registered when first seen
    const fromRecord = format === "avro" && c.schemaFromRecord ? new RecordSchemas(store!, (recordName) => subjectOf(c, external, recordName)) : undefined;
    const value = format === "avro" && !fromRecord ? await writerSchema(node, store!, external, c, "value") : undefined;
    const key = keyFormat === "avro" ? await writerSchema(node, store!, external, c, "key") : undefined;
    const encoder = recordEncoder(format, keyFormat, value, key, fromRecord);
    if (encoder) out.encoders.set(node.id, encoder);
  }
  return out;
}

async function writerSchema(node: PlannedNode, store: SchemaStore, topic: string, c: FormatConfig, part: "value" | "key"): Promise<WriterSchema> {
  const text = part === "value" ? c.valueSchema : c.keySchema;
  const field = part === "value" ? "valueSchema" : "keySchema";
  if (text !== undefined) {
    let codec: AvroCodec;
    try {
      codec = new AvroCodec(text);
    } catch (e) {
      throw new Error(`node "${node.id}": ${field} is not an Avro schema: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    const subject = part === "key" ? (c.keySubject ?? `${topic}-key`) : subjectOf(c, topic, codec.recordName);
    try {
      const { id } = await store.register(subject, codec.schemaText());
      return { id, codec };
    } catch (e) {
      throw new Error(`node "${node.id}": registering its ${field} under subject "${subject}" in ${store.name} was refused: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
  const subject = part === "key" ? (c.keySubject ?? `${topic}-key`) : (c.subject ?? `${topic}-value`);
  const version = part === "value" ? (c.version ?? "latest") : "latest";
  try {
    const found = await store.version(subject, version);
    return { id: found.id, codec: new AvroCodec(found.schema) };
  } catch (e) {
    throw new Error(`node "${node.id}": the ${part} schema of subject "${subject}" (version ${version}) is not in ${store.name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/**
 * The kafka-sink nodes whose valueSchema (or keySchema) the registry's compatibility rule would
 * refuse, each with what breaks, at the field's path: checked at deploy, before anything starts.
 */
export async function incompatibleSchemas(plan: ExecutionPlan, pathOf: (nodeId: string, field: string) => string, storeOf: (node: PlannedNode) => Promise<SchemaStore | undefined>): Promise<{ path: string; message: string }[]> {
  const out: { path: string; message: string }[] = [];
  for (const node of plan.nodes) {
    const c = node.config as FormatConfig;
    const topic = node.kind === "source" ? undefined : node.ports.find((p) => p.externalTopic !== undefined)?.externalTopic;
    if (topic === undefined) continue;
    for (const part of ["value", "key"] as const) {
      const text = part === "value" ? (c.format === "avro" ? c.valueSchema : undefined) : c.keyFormat === "avro" ? c.keySchema : undefined;
      if (text === undefined) continue;
      const field = part === "value" ? "valueSchema" : "keySchema";
      let codec: AvroCodec;
      try {
        codec = new AvroCodec(text);
      } catch (e) {
        out.push({ path: pathOf(node.id, field), message: `not an Avro schema: ${e instanceof Error ? e.message : String(e)}` });
        continue;
      }
      const store = await storeOf(node);
      if (!store) continue;
      const subject = part === "key" ? (c.keySubject ?? `${topic}-key`) : subjectOf(c, topic, codec.recordName);
      const problems = await store.incompatibilities(subject, codec.schemaText());
      if (problems.length) out.push({ path: pathOf(node.id, field), message: `incompatible with subject "${subject}" in ${store.name}: ${problems.join("; ")}` });
    }
  }
  return out;
}

function subjectOf(c: FormatConfig, topic: string, recordName: string | undefined): string {
  if (c.subject !== undefined) return c.subject;
  const strategy = c.subjectNameStrategy ?? "topic";
  if (strategy === "topic") return `${topic}-value`;
  if (!recordName) throw new Error(`the ${strategy} naming strategy needs a record schema`);
  return strategy === "record" ? recordName : `${topic}-${recordName}`;
}
