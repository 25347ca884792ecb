import { HEADER, type MRecord } from "@millrace/processors";
import type { InMessage, OutMessage } from "../kafka/index.js";
import { decode as decodeJson } from "../runtime/records.js";
import { AvroCodec, HEADER_BYTES, MAGIC, wireSchemaId } from "./avro.js";
import type { SchemaStore } from "./schema-store.js";

/** How a kafka-source or kafka-sink reads or writes message values (and keys). */
export type Format = "json" | "avro" | "string" | "bytes";

/** Schemas by id, compiled once per engine process and kept (ids are never reused for another schema). */
export class SchemaCache {
  private readonly byId = new Map<number, AvroCodec>();
  private readonly loading = new Map<number, Promise<AvroCodec>>();
  constructor(readonly store: SchemaStore) {}

  get(id: number): AvroCodec | undefined {
    return this.byId.get(id);
  }

  /** Loads every id not known yet (one request each, at once). */
  async load(ids: Iterable<number>): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.byId.has(id));
    await Promise.all(missing.map((id) => this.fetch(id)));
  }

  private fetch(id: number): Promise<AvroCodec> {
    let p = this.loading.get(id);
    if (!p) {
      p = this.store
        .byId(id)
        .then((text) => {
          const codec = new AvroCodec(text);
          this.byId.set(id, codec);
          return codec;
        })
        .finally(() => this.loading.delete(id));
      this.loading.set(id, p);
    }
    return p;
  }
}

/** Turns a kafka-source's messages into records by its formats. */
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
        if (!codec) throw new Error(`schema id ${id} is unknown to ${schemas!.store.name}`);
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
      // an id the registry does not know fails its messages alone, not the batch
      if (ids.length) await schemas.load(ids).catch(() => undefined);
    },
    decode(m) {
      const r = decodeJson({ ...m, value: null });
      // only this decoder says a message could not be read: a header of that name from outside is not believed
      delete r.headers[HEADER.formatError];
      try {
        r.value = part(format, m.value);
        if (m.key !== null) {
          const key = part(keyFormat, m.key);
          r.key = typeof key === "string" ? key : JSON.stringify(key);
        }
      } catch (e) {
        r.value = { base64: m.value?.toString("base64") ?? null };
        r.headers[HEADER.formatError] = `the message at offset ${m.offset} cannot be read as ${format}: ${e instanceof Error ? e.message : String(e)}`;
      }
      return r;
    },
  };
}

/** Writes a kafka-sink's records by its formats: `(record) → message`, throwing with the field that does not fit. */
export type RecordEncoder = (r: MRecord) => OutMessage;

/** An Avro writer schema with its registry id. */
export interface WriterSchema {
  id: number;
  codec: AvroCodec;
}

export function recordEncoder(format: Format, keyFormat: Format, value: WriterSchema | undefined, key: WriterSchema | undefined): RecordEncoder | undefined {
  if (format === "json" && keyFormat === "string") return undefined;
  const part = (f: Format, v: unknown, writer: WriterSchema | undefined, what: string): Buffer | string | null => {
    if (v === null || v === undefined) return null;
    switch (f) {
      case "string":
        return typeof v === "string" ? v : JSON.stringify(v);
      case "bytes":
        if (typeof v !== "string") throw new Error(`${what}: format bytes takes base64 text, got ${typeof v}`);
        return Buffer.from(v, "base64");
      case "avro": {
        const body = writer!.codec.encode(v);
        const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
        out[0] = MAGIC;
        out.writeUInt32BE(writer!.id, 1);
        body.copy(out, HEADER_BYTES);
        return out;
      }
      default:
        return Buffer.from(JSON.stringify(v), "utf8");
    }
  };
  return (r) => {
    const msg: OutMessage = { value: part(format, r.value, value, "value"), headers: r.headers };
    if (r.key !== undefined && r.key !== null) {
      // a key in a structured format is written from its JSON text
      let k: unknown = r.key;
      if (keyFormat === "avro") {
        try {
          k = JSON.parse(r.key);
        } catch {
          /* a plain string key */
        }
      }
      msg.key = part(keyFormat, k, key, "key");
    }
    return msg;
  };
}

const caches = new WeakMap<SchemaStore, SchemaCache>();

/** One schema cache per registry object (the engine's own registry: one for every flow of the process). */
export function schemaCacheOf(store: SchemaStore): SchemaCache {
  let c = caches.get(store);
  if (!c) caches.set(store, (c = new SchemaCache(store)));
  return c;
}
