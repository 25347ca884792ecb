import type { Pgoutput } from "pg-logical-replication";

type Row = Record<string, unknown>;

/** A relation (table) the stream described, with how its rows are built. */
export interface KnownRelation {
  message: Pgoutput.MessageRelation;
  /** a column named __proto__ would set a plain object's prototype: such a table's rows are dictionaries */
  dictionaryRows: boolean;
}

export function knownRelation(message: Pgoutput.MessageRelation): KnownRelation {
  return { message, dictionaryRows: message.columns.some((c) => c.name === "__proto__") };
}

/**
 * pgoutput's Insert, Update and Delete messages (protocol 1) decoded straight from the copy
 * buffer: the per-change path of the stream. pg-logical-replication's parser builds each row as
 * a prototype-less object (a slow dictionary for V8, also when the record is serialised later)
 * and a Buffer view plus a TextDecoder call per column; here a row is a plain object built in
 * column order (one shape per table) and each text value one slice of the buffer. The result is
 * the parser's message, with the same `relation` object and the same rules for keys, nulls and
 * unchanged TOAST values. Answers undefined for a relation not seen yet: the caller lets the
 * parser report that.
 */
export function decodeRowChange(buf: Buffer, at: number, relations: ReadonlyMap<number, KnownRelation>): Pgoutput.MessageInsert | Pgoutput.MessageUpdate | Pgoutput.MessageDelete | undefined {
  const tag = buf[at];
  const known = relations.get(buf.readInt32BE(at + 1));
  if (!known) return undefined;
  const relation = known.message;
  const reader: Cursor = { buf, at: at + 5 };
  const part = buf[reader.at++];
  if (tag === 0x49 /* I */) return { tag: "insert", relation, new: readTuple(reader, known, null) };
  if (tag === 0x55 /* U */) {
    let key: Row | null = null;
    let old: Row | null = null;
    if (part === 0x4b /* K */) key = keyOf(readTuple(reader, known, null), relation);
    else if (part === 0x4f /* O */) old = readTuple(reader, known, null);
    else if (part !== 0x4e /* N */) throw new Error(`pgoutput: unknown part '${String.fromCharCode(part)}' of an update`);
    if (part !== 0x4e) reader.at++; // the 'N' before the new row
    return { tag: "update", relation, key, old, new: readTuple(reader, known, old) };
  }
  if (tag === 0x44 /* D */) {
    if (part === 0x4b) return { tag: "delete", relation, key: keyOf(readTuple(reader, known, null), relation), old: null };
    if (part === 0x4f) return { tag: "delete", relation, key: null, old: readTuple(reader, known, null) };
    throw new Error(`pgoutput: unknown part '${String.fromCharCode(part)}' of a delete`);
  }
  return undefined;
}

interface Cursor {
  buf: Buffer;
  at: number;
}

/** A TupleData: each column null ('n'), unchanged TOAST ('u': the old row's value, if sent), text ('t') or binary ('b'). */
function readTuple(r: Cursor, relation: KnownRelation, unchangedFrom: Row | null): Row {
  const buf = r.buf;
  const columns = relation.message.columns;
  const n = buf.readInt16BE(r.at);
  let at = r.at + 2;
  const row: Row = relation.dictionaryRows ? (Object.create(null) as Row) : {};
  for (let i = 0; i < n; i++) {
    const column = columns[i];
    const kind = buf[at++];
    if (kind === 0x74 /* t */) {
      const length = buf.readInt32BE(at);
      at += 4;
      row[column.name] = column.parser(buf.toString("utf8", at, at + length));
      at += length;
    } else if (kind === 0x6e /* n */) {
      row[column.name] = null;
    } else if (kind === 0x75 /* u */) {
      row[column.name] = unchangedFrom?.[column.name];
    } else if (kind === 0x62 /* b */) {
      const length = buf.readInt32BE(at);
      at += 4;
      row[column.name] = buf.subarray(at, at + length);
      at += length;
    } else {
      throw new Error(`pgoutput: unknown column kind '${String.fromCharCode(kind)}'`);
    }
  }
  r.at = at;
  return row;
}

/** A key-only tuple as the parser gives it: the key columns only (a null there is a column not sent). */
function keyOf(tuple: Row, relation: Pgoutput.MessageRelation): Row {
  const key: Row = Object.create(null) as Row;
  for (const k of relation.keyColumns) key[k] = tuple[k] === null ? undefined : tuple[k];
  return key;
}
