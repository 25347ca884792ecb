import { HEADER, type MRecord } from "@millrace/processors";
import type { InMessage, OutMessage } from "../kafka/index.js";
import { recordOf } from "../runtime/records.js";
import { AvroCodec, HEADER_BYTES, MAGIC, wireSchemaId } from "./avro.js";
import type { RecordSchemas } from "./record-schemas.js";
import type { SchemaStore } from "./schema-store.js";

/** How a kafka-source or kafka-sink reads or writes message values (and keys). */
export type Format = "json" | "avro" | "string" | "bytes";

/** Schema ids kept compiled per registry (least recently used beyond it): producers choose the ids. */
const MAX_SCHEMAS = 1_000;
/** Ids one batch may ask the registry for; the rest wait for the batch's retry. */
const MAX_LOADS_PER_BATCH = 16;
/** An id the registry does not have is asked again after this long (it may be registered meanwhile). */
const MISSING_TTL_MS = 30_000;

/** An id the registry said it does not have, or a schema that does not compile: its messages fail (no retry helps) until `until`. */
export class Unusable {
  constructor(
    readonly reason: string,
    readonly until: number,
  ) {}
}

/**
 * Schemas by id, compiled once per engine process and kept (ids are never reused for another
 * schema), bounded. A registry that does not answer fails the load (the batch is retried); an id it
 * does not have, or a schema that does not compile, fails only the messages naming it.
 */
export class SchemaCache {
  private readonly byId = new Map<number, AvroCodec | Unusable>();
  private readonly loading = new Map<number, Promise<void>>();
  constructor(readonly store: SchemaStore) {}

  /** The compiled schema, or why its messages cannot be read (undefined: not loaded). */
  get(id: number): AvroCodec | string | undefined {
    const c = this.byId.get(id);
    if (c === undefined) return undefined;
    if (c instanceof Unusable) {
      if (Date.now() > c.until) {
        this.byId.delete(id);
        return undefined;
      }
      return c.reason;
    }
    // least recently used goes first
    this.byId.delete(id);
    this.byId.set(id, c);
    return c;
  }

  /** Loads the ids not known yet (a few at once); throws when the registry does not answer. */
  async load(ids: Iterable<number>): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => this.get(id) === undefined).slice(0, MAX_LOADS_PER_BATCH);
    await Promise.all(missing.map((id) => this.fetch(id)));
  }

  private fetch(id: number): Promise<void> {
    let p = this.loading.get(id);
    if (!p) {
      p = this.store
        .byId(id)
        .then(
          (text) => {
            let entry: AvroCodec | Unusable;
            try {
              entry = new AvroCodec(text);
            } catch (e) {
              entry = new Unusable(`schema id ${id} in ${this.store.name} cannot be used: ${e instanceof Error ? e.message : String(e)}`, Infinity);
            }
            this.keep(id, entry);
          },
          (e: unknown) => {
            if (!isNotFound(e)) throw e;
            this.keep(id, new Unusable(`schema id ${id} is unknown to ${this.store.name}`, Date.now() + MISSING_TTL_MS));
          },
        )
        .finally(() => this.loading.delete(id));
      this.loading.set(id, p);
    }
    return p;
  }

  private keep(id: number, entry: AvroCodec | Unusable): void {
    this.byId.set(id, entry);
    if (this.byId.size > MAX_SCHEMAS) this.byId.delete(this.byId.keys().next().value!);
  }
}

/** A registry's "no such schema" (HTTP 404 / Confluent 40403, or the engine's own RegistryError). */
function isNotFound(e: unknown): boolean {
  const status = (e as { status?: unknown }).status;
  return status === 404;
}

/** Turns a kafka-source's messages into records by its formats (the message's timestamp becomes the record's, as in records.ts). */
export interface MessageDecoder {
  /** loads what decode() needs for these messages (the Avro schemas they name) */
  prepare(messages: readonly InMessage[]): Promise<void>;
  decode(m: InMessage): MRecord;
}

/**
 * The decoder of a kafka-source's `format` / `keyFormat`. A message that cannot be decoded (not in
 * the wire format, an unknown schema) becomes a record whose value says why, with the message's
 * bytes in base64, so one bad message never stops the partition.
 */
export function messageDecoder(format: Format, keyFormat: Format, schemas: SchemaCache | undefined): MessageDecoder | undefined {
  if (format === "json" && keyFormat === "string") return undefined; // the runtime's own path
  if ((format === "avro" || keyFormat === "avro") && !schemas) throw new Error("an avro format needs a schema registry");
  const part = (f: Format, bytes: Buffer | null): unknown => {
    if (bytes === null) return null;
    switch (f) {
      case "string":
        return bytes.toString("utf8");
      case "bytes":
        return bytes.toString("base64");
      case "avro": {
        const id = wireSchemaId(bytes);
        if (id === undefined) throw new Error("not in the Avro wire format (magic byte 0 + schema id)");
        const codec = schemas!.get(id);
        if (codec === undefined) throw new Error(`schema id ${id} is not loaded from ${schemas!.store.name} (more new ids in one batch than it loads at once)`);
        if (typeof codec === "string") throw new Error(codec);
        return codec.decode(bytes.subarray(HEADER_BYTES));
      }
      default: {
        const text = bytes.toString("utf8");
        try {
          return JSON.parse(text) as unknown;
        } catch {
          return text;
        }
      }
    }
  };
  return {
    async prepare(messages) {
      if (!schemas) return;
      const ids: number[] = [];
      for (const m of messages) {
        if (format === "avro") {
          const id = wireSchemaId(m.value);
          if (id !== undefined && !schemas.get(id)) ids.push(id);
        }
        if (keyFormat === "avro") {
          const id = wireSchemaId(m.key);
          if (id !== undefined && !schemas.get(id)) ids.push(id);
        }
      }
      // a registry that does not answer fails the batch (retried); an id it does not have fails its messages only
      if (ids.length) await schemas.load(ids);
    },
    decode(m) {
      const r = recordOf(m, null);
      // only this decoder says a message could not be read: a header of that name from outside is not believed
      delete r.headers[HEADER.formatError];
      let reading = "value";
      try {
        r.value = part(format, m.value);
        if (m.key !== null) {
          reading = "key";
          const key = part(keyFormat, m.key);
          r.key = typeof key === "string" ? key : JSON.stringify(key);
        }
      } catch (e) {
        if (reading === "value") r.value = { base64: m.value?.toString("base64") ?? null };
        r.headers[HEADER.formatError] = `the message at offset ${m.offset} cannot be read: its ${reading} is not ${reading === "value" ? format : keyFormat}: ${e instanceof Error ? e.message : String(e)}`;
      }
      return r;
    },
  };
}

/** Writes a kafka-sink's records by its formats: `(record) → message`, throwing with the field that does not fit. */
export interface RecordEncoder {
  (r: MRecord): OutMessage;
  /** loads what encoding these records needs (registers the schemas they carry) before they are encoded; never throws */
  prepare?(emitted: readonly { record: MRecord }[]): Promise<void>;
}

/** An Avro writer schema with its registry id. */
export interface WriterSchema {
  id: number;
  codec: AvroCodec;
}

/**
 * `valueFromRecord`: the value's writer schema is each record's own (a kafka-sink with
 * schemaFromRecord), in place of `value`.
 */
export function recordEncoder(format: Format, keyFormat: Format, value: WriterSchema | undefined, key: WriterSchema | undefined, valueFromRecord?: RecordSchemas): RecordEncoder | undefined {
  if (format === "json" && keyFormat === "string" && !valueFromRecord) return undefined;
  const part = (f: Format, v: unknown, writer: WriterSchema | undefined, what: string): Buffer | string | null => {
    if (v === null || v === undefined) return null;
    switch (f) {
      case "string":
        return typeof v === "string" ? v : JSON.stringify(v);
      case "bytes":
        if (typeof v !== "string") throw new Error(`${what}: format bytes takes base64 text, got ${typeof v}`);
        return Buffer.from(v, "base64");
      case "avro": {
        const out = writer!.codec.encode(v, what, HEADER_BYTES);
        out[0] = MAGIC;
        out.writeUInt32BE(writer!.id, 1);
        return out;
      }
      default:
        return Buffer.from(JSON.stringify(v), "utf8");
    }
  };
  const keyed = (r: MRecord, msg: OutMessage): OutMessage => {
    if (r.key !== undefined && r.key !== null) {
      if (keyFormat === "avro" && !key!.codec.takes(r.key)) {
        // a structured key schema (a record, a number): the key's JSON text is its value
        let k: unknown;
        try {
          k = JSON.parse(r.key);
        } catch {
          k = r.key;
        }
        msg.key = part(keyFormat, k, key, "key");
      } else msg.key = part(keyFormat, r.key, key, "key");
    }
    // the event time goes on, as encode() writes it for the json format
    if (r.timestamp !== undefined) msg.timestamp = String(r.timestamp);
    return msg;
  };
  if (!valueFromRecord) return (r) => keyed(r, { value: part(format, r.value, value, "value"), headers: r.headers });
  // the schema header is not written: the registry id in the value names the schema
  const encode: RecordEncoder = (r) => keyed(r, { value: part("avro", r.value, valueFromRecord.writerOf(r), "value"), headers: headersWithoutSchema(r.headers) });
  encode.prepare = (emitted) => valueFromRecord.prepare(emitted);
  return encode;
}

/** The record's headers without HEADER.avroSchema (a copy: the record itself is still routed and recorded as it is). */
function headersWithoutSchema(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in headers) if (k !== HEADER.avroSchema) out[k] = headers[k]!;
  return out;
}

const caches = new WeakMap<SchemaStore, SchemaCache>();

/** One schema cache per registry object (the engine's own registry: one for every flow of the process). */
export function schemaCacheOf(store: SchemaStore): SchemaCache {
  let c = caches.get(store);
  if (!c) caches.set(store, (c = new SchemaCache(store)));
  return c;
}
