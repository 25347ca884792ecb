import { HEADER, type MRecord } from "@millrace/processors";
import { AvroCodec } from "./avro.js";
import { Unusable as Refused, type WriterSchema } from "./codecs.js";
import type { SchemaStore } from "./schema-store.js";

/** Schema texts kept registered and compiled per sink (least recently used beyond it). */
const MAX_SCHEMAS = 1_000;
/** Texts one batch registers at most; records naming others fail (a source makes a new schema per table change, not per record). */
const MAX_REGISTRATIONS_PER_BATCH = 16;
/** A refused or failed registration is tried again after this long (the registry may be back, or its rule changed). */
const RETRY_AFTER_MS = 10_000;

/**
 * The writer schemas of a kafka-sink with schemaFromRecord: each record names its value's Avro
 * schema in HEADER.avroSchema (its JSON text). A text seen for the first time is registered under
 * the subject its strategy names (the subject's compatibility rule decides) before the batch is
 * encoded; then it is kept, by its text, with its id. A schema that does not compile, or that the
 * registry refuses or cannot take now, fails the records naming it (with the reason), never the batch.
 */
export class RecordSchemas {
  private readonly byText = new Map<string, WriterSchema | Refused>();

  constructor(
    private readonly store: SchemaStore,
    /** the subject of a schema, by its record's full name */
    private readonly subjectOf: (recordName: string | undefined) => string,
  ) {}

  /** Registers the schemas of these records not known yet (a few at once). Never throws: a failure is kept for the records to fail with. */
  async prepare(emitted: readonly { record: MRecord }[]): Promise<void> {
    let missing: Set<string> | undefined;
    for (let i = 0; i < emitted.length; i++) {
      const text = emitted[i]!.record.headers[HEADER.avroSchema];
      if (text === undefined) continue;
      const known = this.byText.get(text);
      if (known === undefined || (known instanceof Refused && Date.now() > known.until)) {
        missing ??= new Set();
        if (missing.size < MAX_REGISTRATIONS_PER_BATCH) missing.add(text);
      }
    }
    if (missing) await Promise.all([...missing].map((text) => this.register(text)));
  }

  /** The writer schema of a record's value, or throws why its value cannot be written. */
  writerOf(r: MRecord): WriterSchema {
    const text = r.headers[HEADER.avroSchema];
    if (text === undefined) throw new Error(`value: the record has no Avro schema in header ${HEADER.avroSchema} (schemaFromRecord takes each value's schema from it: a postgres-cdc with avroSchema sets it)`);
    const known = this.byText.get(text);
    if (known === undefined) throw new Error(`value: its Avro schema was not registered in ${this.store.name} (more new schemas in one batch than registered at once)`);
    if (known instanceof Refused) throw new Error(known.reason);
    return known;
  }

  private async register(text: string): Promise<void> {
    let codec: AvroCodec;
    try {
      codec = new AvroCodec(text);
    } catch (e) {
      // the same text never compiles: kept refused for as long as it is used
      this.keep(text, new Refused(`value: the record's Avro schema (header ${HEADER.avroSchema}) is not a schema: ${e instanceof Error ? e.message : String(e)}`, Infinity));
      return;
    }
    let subject: string;
    try {
      subject = this.subjectOf(codec.recordName);
      const { id } = await this.store.register(subject, codec.schemaText());
      this.keep(text, { id, codec });
    } catch (e) {
      this.keep(text, new Refused(`value: registering the record's Avro schema${codec.recordName ? ` (${codec.recordName})` : ""} in ${this.store.name} failed: ${e instanceof Error ? e.message : String(e)}`, Date.now() + RETRY_AFTER_MS));
    }
  }

  private keep(text: string, entry: WriterSchema | Refused): void {
    this.byText.delete(text);
    this.byText.set(text, entry);
    if (this.byText.size > MAX_SCHEMAS) this.byText.delete(this.byText.keys().next().value!);
  }
}
