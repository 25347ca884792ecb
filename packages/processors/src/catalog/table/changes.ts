/** What one record does to its row of a table. */
export type TableWrite = "put" | "delete" | "none";

/**
 * A `null` value is a tombstone, as on a compacted Kafka topic: it deletes the row, and deleting
 * a row that is not there is no change ("none": nothing written, nothing emitted). Any other
 * value replaces the row. The emitted change is the record keyed by the row, its value as is
 * (`null` for a delete), so no record is built here.
 */
export function tableWrite(value: unknown, rowExists: boolean): TableWrite {
  if (value !== null) return "put";
  return rowExists ? "delete" : "none";
}
