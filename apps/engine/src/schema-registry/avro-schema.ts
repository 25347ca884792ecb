import { createHash } from "node:crypto";
import avro from "avsc";
import { invalidSchema } from "./errors.js";

/** A schema as the registry keeps it: parsed (for compatibility), its text and the fingerprint that identifies it. */
export interface ParsedSchema {
  type: avro.Type;
  /** the JSON as sent, without insignificant whitespace: what the registry stores and hands back */
  text: string;
  /** sha256 of the text with every object's keys sorted: equal for schemas that differ only in spacing or key order */
  fingerprint: string;
}

export interface SchemaBounds {
  maxSchemaBytes: number;
  maxSchemaDepth: number;
}

/**
 * Parses an Avro schema given as JSON text, refusing (42201) what is not one, with avsc's reason.
 * The fingerprint is not Avro's Parsing Canonical Form: that form drops defaults, docs and
 * aliases, and a default decides compatibility, so two schemas differing in one must keep two ids.
 */
export function parseAvroSchema(text: string, bounds: SchemaBounds): ParsedSchema {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > bounds.maxSchemaBytes) throw invalidSchema(`the schema is ${bytes} bytes, more than this registry's limit of ${bounds.maxSchemaBytes} (MILLRACE_SCHEMA_REGISTRY_MAX_SCHEMA_BYTES)`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalidSchema(`the schema is not JSON (${(e as Error).message})`);
  }
  if (tooDeep(json, bounds.maxSchemaDepth)) throw invalidSchema(`the schema nests deeper than ${bounds.maxSchemaDepth} levels`);
  let type: avro.Type;
  try {
    type = avro.Type.forSchema(json as avro.Schema);
  } catch (e) {
    throw invalidSchema(`not a valid Avro schema: ${(e as Error).message}`);
  }
  return { type, text: JSON.stringify(json), fingerprint: createHash("sha256").update(JSON.stringify(json, sortedKeys)).digest("hex") };
}

/** The text indented for people (the designer shows it). */
export function prettySchema(text: string): string {
  return JSON.stringify(JSON.parse(text), null, 2);
}

function sortedKeys(_key: string, value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) sorted[k] = (value as Record<string, unknown>)[k];
  return sorted;
}

/** Stops descending at the bound, so the check itself never runs deep. */
function tooDeep(value: unknown, left: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (left <= 0) return true;
  for (const v of Array.isArray(value) ? value : Object.values(value)) if (tooDeep(v, left - 1)) return true;
  return false;
}
