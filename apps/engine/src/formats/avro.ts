import avro from "avsc";

/** Confluent's wire format: magic byte 0, the schema id (4 bytes, big-endian), then the Avro binary. */
export const MAGIC = 0;
export const HEADER_BYTES = 5;

/** The schema id of a message in the wire format, or undefined when it is not one. */
export function wireSchemaId(bytes: Buffer | null): number | undefined {
  if (!bytes || bytes.length < HEADER_BYTES || bytes[0] !== MAGIC) return undefined;
  return bytes.readUInt32BE(1);
}

/** Values nested deeper than this are refused when encoded (recursive schemas allow any depth). */
const MAX_DEPTH = 64;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * An Avro schema compiled once, with JSON-friendly values: a union with null is the value or null
 * (other unions, where a value alone would be ambiguous, as Avro's JSON encoding writes them:
 * `{ "<branch>": value }`), bytes as base64 text.
 */
export class AvroCodec {
  private readonly type: avro.Type;
  private readonly hasBytes: boolean;
  /** the schema as given, normalised (what a registry stores: defaults, docs and logical types kept) */
  private readonly text: string;

  /** Throws with avsc's reason when `schema` is not an Avro schema. */
  constructor(schema: string | object) {
    const parsed: unknown = typeof schema === "string" ? JSON.parse(schema) : schema;
    this.type = avro.Type.forSchema(parsed as avro.Schema, { wrapUnions: "auto" });
    this.text = JSON.stringify(parsed);
    this.hasBytes = /"(bytes|fixed)"/.test(this.text);
  }

  /** The record's full name (`com.acme.Order`), for the record naming strategies; undefined for a non-record schema. */
  get recordName(): string | undefined {
    return this.type.typeName === "record" ? this.type.name : undefined;
  }

  /** Avro binary → a plain JSON-compatible value. */
  decode(body: Buffer): unknown {
    const v = this.type.fromBuffer(body);
    return this.hasBytes ? bytesToBase64(v) : v;
  }

  /**
   * A value → Avro binary, or throws naming the first field that does not fit
   * (`value.customer.id: "x" is not a long`). `prefix`: bytes left free before the body (the
   * wire format's header, written by the caller), so the body is not copied again to add them.
   */
  encode(value: unknown, part = "value", prefix = 0): Buffer {
    if (this.hasBytes) value = base64ToBytes(this.type, value, [part], 0);
    try {
      return writeAfter(this.type, value, prefix);
    } catch (e) {
      let where: string | undefined;
      this.type.isValid(value, {
        errorHook: (path: string[], any: unknown, type: avro.Type) => {
          where ??= `${[part, ...path].join(".")}: ${JSON.stringify(any) ?? "undefined"} is not ${describe(type)}`;
        },
      });
      throw new Error(where ?? `the value does not fit the Avro schema: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  /** Whether `value` fits the schema as it is (a string key of a string schema is written as text). */
  takes(value: unknown): boolean {
    return this.type.isValid(value);
  }

  /** The schema as given (normalised JSON): what is registered, so defaults and logical types reach the registry. */
  schemaText(): string {
    return this.text;
  }
}

function describe(type: avro.Type): string {
  const t = type as avro.Type & { typeName: string; types?: avro.Type[] };
  if (t.types) return `any of ${t.types.map((x) => (x as avro.Type & { typeName: string }).typeName).join(", ")}`;
  return `a${/^[aeiou]/.test(t.typeName) ? "n" : ""} ${t.typeName}${t.name ? ` (${t.name})` : ""}`;
}

function bytesToBase64(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString("base64");
  if (Array.isArray(v)) return v.map(bytesToBase64);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = bytesToBase64(x);
    return out;
  }
  return v;
}

type AnyType = avro.Type & { typeName: string; fields?: { name: string; type: AnyType }[]; itemsType?: AnyType; valuesType?: AnyType; types?: AnyType[] };

/** Base64 text → Buffer where the schema has bytes or fixed (the JSON side of bytesToBase64), guided by the schema. */
function base64ToBytes(t: avro.Type, v: unknown, path: string[], depth: number): unknown {
  if (depth > MAX_DEPTH) throw new Error(`${path.join(".")}: nested deeper than ${MAX_DEPTH} levels`);
  const type = t as AnyType;
  switch (type.typeName) {
    case "bytes":
    case "fixed":
      if (typeof v !== "string") return v;
      if (!BASE64.test(v)) throw new Error(`${path.join(".")}: ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)} is not base64 text (bytes are written from base64)`);
      return Buffer.from(v, "base64");
    case "record":
    case "error": {
      if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
      const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
      for (const f of type.fields ?? []) if (f.name in out) out[f.name] = base64ToBytes(f.type, out[f.name], [...path, f.name], depth + 1);
      return out;
    }
    case "array":
      return Array.isArray(v) ? v.map((x, i) => base64ToBytes(type.itemsType!, x, [...path, String(i)], depth + 1)) : v;
    case "map": {
      if (v === null || typeof v !== "object") return v;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = base64ToBytes(type.valuesType!, x, [...path, k], depth + 1);
      return out;
    }
    default:
      if (type.types) {
        // a union: text stays text where the union takes strings; else the first branch it fits once converted
        if (typeof v === "string" && type.types.some((b) => (b as AnyType).typeName === "string")) return v;
        for (const b of type.types) {
          let converted: unknown;
          try {
            converted = base64ToBytes(b, v, path, depth + 1);
          } catch {
            continue;
          }
          if (b.isValid(converted)) return converted;
        }
      }
      return v;
  }
}

/** Where values are encoded before being copied out at their size; grown as needed up to a bound, beyond it a buffer per value. */
let scratch = Buffer.allocUnsafe(64 * 1024);
const MAX_SCRATCH_BYTES = 1024 * 1024;

/** `type`'s encoding of `value` after `prefix` free bytes, in a buffer of exactly that size (one copy, as avsc's toBuffer makes). */
function writeAfter(type: avro.Type, value: unknown, prefix: number): Buffer {
  let into = scratch;
  for (;;) {
    const end = type.encode(value, into, prefix);
    if (end >= 0) {
      if (into !== scratch) return end === into.length ? into : into.subarray(0, end);
      const out = Buffer.allocUnsafe(end);
      into.copy(out, 0, 0, end);
      return out;
    }
    // avsc answers how many bytes were missing
    const needed = into.length - end;
    if (needed <= MAX_SCRATCH_BYTES) into = scratch = Buffer.allocUnsafe(Math.max(needed, Math.min(MAX_SCRATCH_BYTES, scratch.length * 2)));
    else into = Buffer.allocUnsafe(needed);
  }
}
