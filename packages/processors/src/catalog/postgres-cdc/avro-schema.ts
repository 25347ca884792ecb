import { HEADER, type MRecord } from "../../sdk.js";
import { ARRAYS, OVERRIDES, parserFor, type TextParser } from "./values.js";

/** A column as a relation (or a snapshot's result) describes it. */
export interface AvroColumn {
  name: string;
  typeOid: number;
  /** the server's name for a type outside the built-ins (arrays of them start with `_`) */
  typeName?: string | null;
  /** the column's mapping set by columnTypes, if any */
  override?: TextParser;
}

/** A relation version's Avro schema, and how its rows are renamed to fit it. */
export interface RelationAvro {
  /** the schema's JSON text: one string per relation version, shared by all its records */
  text: string;
  /** column name → Avro field name, for the columns whose names Avro does not allow (undefined: none) */
  renames: ReadonlyMap<string, string> | undefined;
}

type AvroType = string | string[] | Record<string, unknown> | (string | Record<string, unknown>)[];

const JSON_TYPES = new Set([114, 3802]);

/**
 * The Avro type of a value as the JSON mapping gives it (without null). Where the mapping may
 * answer text in place of a number (a bigint beyond a double, NaN), the type says so: a
 * union of distinct JSON kinds, so every value the mapping gives fits.
 */
function scalarType(typeOid: number, override: TextParser | undefined): string | string[] {
  if (override === OVERRIDES.number) return ["double", "string"];
  if (override) return "string"; // text as is, and json kept as its text (Avro has no "any JSON" type)
  switch (typeOid) {
    case 16:
      return "boolean";
    case 17:
      return "bytes";
    case 21:
    case 23:
      return "int";
    case 26:
      return "long"; // an oid is unsigned 32-bit
    case 20:
      return ["long", "string"];
    case 700:
    case 701:
      return ["double", "string"];
    default:
      return "string";
  }
}

/** The column's non-null Avro type: arrays as arrays of nullable elements. */
function columnType(c: AvroColumn): AvroType {
  const element = ARRAYS.get(c.typeOid) ?? (c.typeName?.startsWith("_") ? 25 : undefined);
  if (element === undefined) return scalarType(c.typeOid, c.override);
  // an overridden array column is whatever its override makes of the array's text
  if (c.override) return scalarType(c.typeOid, c.override);
  return { type: "array", items: ["null", ...[scalarType(element, undefined)].flat()] };
}

/** A name Avro accepts (`[A-Za-z_][A-Za-z0-9_]*`), as Debezium's avro name adjustment makes it. */
export function avroName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_]/g, "_");
  return /^[A-Za-z_]/.test(safe) ? safe : `_${safe}`;
}

/** The field name of each column, unique within the record (a clash after adjustment gets the column's position). */
function fieldNames(columns: readonly AvroColumn[]): string[] {
  const used = new Set<string>();
  return columns.map((c, i) => {
    let name = avroName(c.name);
    if (used.has(name)) name = `${name}_${i + 1}`;
    used.add(name);
    return name;
  });
}

/** The row record `<schema>.<table>.Value`: one optional field (default null) per column, so adding or dropping a column stays backward compatible. */
export function valueSchema(namespace: string, columns: readonly AvroColumn[], names = fieldNames(columns)): Record<string, unknown> {
  return {
    type: "record",
    name: "Value",
    namespace,
    fields: columns.map((c, i) => {
      const t = columnType(c);
      return { name: names[i], type: ["null", ...(Array.isArray(t) ? t : [t])], default: null };
    }),
  };
}

const optional = (type: AvroType) => ({ type: ["null", ...(Array.isArray(type) ? type : [type])], default: null });

/**
 * The Avro schema of a table's change records in `envelope`, derived from its columns as they are
 * at the change: millrace `{op, before, after, source}` or Debezium's `Envelope`.
 */
export function relationAvro(envelope: "millrace" | "debezium", schema: string, table: string, columns: readonly AvroColumn[]): RelationAvro {
  const namespace = `${avroName(schema)}.${avroName(table)}`;
  const names = fieldNames(columns);
  const row = valueSchema(namespace, columns, names);
  const value = `${namespace}.Value`;
  const source =
    envelope === "millrace"
      ? {
          type: "record",
          name: "Source",
          namespace,
          fields: [
            { name: "table", type: "string" },
            { name: "lsn", type: "string" },
            { name: "txId", ...optional("long") },
            { name: "commitTime", type: "string" },
          ],
        }
      : {
          type: "record",
          name: "Source",
          namespace,
          fields: [
            ...["version", "connector", "name"].map((name) => ({ name, type: "string" })),
            { name: "ts_ms", type: "long" },
            { name: "snapshot", type: "string" },
            { name: "db", type: "string" },
            { name: "sequence", ...optional("string") },
            { name: "schema", type: "string" },
            { name: "table", type: "string" },
            { name: "txId", ...optional("long") },
            { name: "lsn", ...optional("long") },
            { name: "xmin", ...optional("long") },
          ],
        };
  const fields =
    envelope === "millrace"
      ? [{ name: "op", type: "string" }, { name: "before", ...optional(row) }, { name: "after", ...optional(value) }, { name: "source", type: source }]
      : [
          { name: "before", ...optional(row) },
          { name: "after", ...optional(value) },
          { name: "source", type: source },
          { name: "op", type: "string" },
          { name: "ts_ms", ...optional("long") },
          { name: "transaction", ...optional("string") },
        ];
  let renames: Map<string, string> | undefined;
  columns.forEach((c, i) => {
    if (names[i] !== c.name) (renames ??= new Map()).set(c.name, names[i]);
  });
  return { text: JSON.stringify({ type: "record", name: "Envelope", namespace, fields }), renames };
}

/**
 * How a column's text is parsed when its records are written in Avro: as the JSON mapping
 * does, except json and jsonb (and columnTypes json), kept as their text: Avro has no type for
 * any JSON value.
 */
export function avroParserFor(typeOid: number, typeName: string | null | undefined, override: TextParser | undefined): TextParser {
  if (override) return override === OVERRIDES.json ? OVERRIDES.text : override;
  const element = ARRAYS.get(typeOid);
  if (JSON_TYPES.has(typeOid) || (element !== undefined && JSON_TYPES.has(element))) {
    return JSON_TYPES.has(typeOid) ? OVERRIDES.text : parserFor(1009); // an array of json: an array of texts
  }
  return parserFor(typeOid, typeName);
}

/**
 * The snapshot's rows with their columnTypes json values back as text, as the stream sends them in
 * Avro mode (the snapshot applies the override after reading); undefined when the table has none.
 */
export function jsonTextColumns(columns: readonly AvroColumn[]): ((rows: Record<string, unknown>[]) => void) | undefined {
  const overridden = columns.filter((c) => c.override === OVERRIDES.json).map((c) => c.name);
  if (!overridden.length) return undefined;
  return (rows) => {
    for (const row of rows) {
      for (const name of overridden) {
        const v = row[name];
        if (v !== null && v !== undefined && typeof v !== "string") row[name] = JSON.stringify(v);
      }
    }
  };
}

type Row = Record<string, unknown>;

function renamed(row: unknown, renames: ReadonlyMap<string, string>): unknown {
  if (row === null || typeof row !== "object") return row;
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[renames.get(k) ?? k] = v;
  return out;
}

/**
 * Puts the relation's schema on a change record (HEADER.avroSchema) and, for a table with
 * column names Avro does not allow, renames its rows' fields as the schema names them.
 */
export function withAvroSchema(record: MRecord, avro: RelationAvro): MRecord {
  if (avro.renames) {
    const value = record.value as { before?: unknown; after?: unknown };
    value.before = renamed(value.before, avro.renames);
    value.after = renamed(value.after, avro.renames);
  }
  record.headers[HEADER.avroSchema] = avro.text;
  return record;
}
