import type avro from "avsc";

/** What a parsed schema takes in memory per byte of its text (measured 10 to 14 on large schemas; the larger kept). */
export const PARSED_BYTES_PER_TEXT_BYTE = 14;

/**
 * Earlier versions kept parsed by schema id, least recently used first out, bounded by the
 * memory they take (estimated from their text's length) rather than by count: a few large
 * schemas weigh more than hundreds of small ones. A schema larger than the whole budget is not kept.
 */
export class ParsedSchemaCache {
  /** Map order is use order: the first entry is the least recently used */
  private readonly entries = new Map<number, { type: avro.Type; bytes: number }>();
  private used = 0;

  constructor(private readonly budgetBytes: number) {}

  get(id: number): avro.Type | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.type;
  }

  set(id: number, type: avro.Type, textLength: number): void {
    const bytes = textLength * PARSED_BYTES_PER_TEXT_BYTE;
    this.remove(id);
    if (bytes > this.budgetBytes) return;
    for (const [oldest, entry] of this.entries) {
      if (this.used + bytes <= this.budgetBytes) break;
      this.entries.delete(oldest);
      this.used -= entry.bytes;
    }
    this.entries.set(id, { type, bytes });
    this.used += bytes;
  }

  /** estimated bytes held */
  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  private remove(id: number): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.used -= entry.bytes;
  }
}
