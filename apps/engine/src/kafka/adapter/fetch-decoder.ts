// A hand-written decoder for the record batches of kafkajs 2.2.4's Fetch responses
// (protocol/recordBatch/v0/decoder.js + record/v0/decoder.js + header/v0/decoder.js): the same
// batch and record objects, field for field, without kafkajs's per-record Buffer + Decoder for the
// record, its BigInt arithmetic per varlong and per offset/timestamp (a decimal string parsed to a
// BigInt and printed again for every record), an object per header and an object spread per header.
// Header keys, which repeat from record to record, are decoded once per batch while they repeat.
//
// It handles uncompressed batches of well-formed records; for anything else (compressed batches,
// partial batches at the end of a fetch, lengths or varints out of bounds, offsets/timestamps beyond
// 2^53) it gives the batch back to kafkajs's decoder from the same position, so the results and
// errors are kafkajs's own.

const NOT_HANDLED = new Error("fetch decoder: not handled here");

/** How many record batches this decoder decoded, and how many it gave to kafkajs's decoder. */
export const fetchDecoderStats = { fast: 0, declined: 0 };

const TRANSACTIONAL_FLAG_MASK = 0x10;
const CONTROL_FLAG_MASK = 0x20;
const TIMESTAMP_TYPE_FLAG_MASK = 0x8;
const LOG_APPEND_TIME = 1;
const CREATE_TIME = 0;

export interface KafkajsDecoder {
  buffer: Buffer;
  offset: number;
}

type Headers = Record<string, Buffer | null | (Buffer | null)[]>;

export interface DecodedRecord {
  magicByte: number;
  attributes: number;
  timestamp: string;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
  isControlRecord: boolean;
  batchContext: object;
}

/** a signed int64 at buf[o..o+8) as kafkajs prints it (BigInt → decimal string) */
function int64String(buf: Buffer, o: number): string {
  const hi = buf.readInt32BE(o);
  const lo = buf.readUInt32BE(o + 4);
  if (hi >= -0x200000 && hi < 0x200000) return String(hi * 4294967296 + lo); // |v| < 2^53: exact
  return String((BigInt(hi) << 32n) + BigInt(lo));
}

/** the same value as a Number when it is a safe integer, else NaN */
function safe(s: string): number {
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : NaN;
}

let pos = 0; // read position in the batch being decoded
let end = 0; // end of the record being decoded

/** kafkajs's Decoder.readVarInt (zig-zag over 32 bits), refusing to read past `end` */
function varInt(buf: Buffer): number {
  let b: number;
  let result = 0;
  let i = 0;
  do {
    if (pos >= end) throw NOT_HANDLED;
    b = buf[pos++]!;
    result += (b & 0x7f) << i;
    i += 7;
  } while (b >= 0x80);
  return (result >>> 1) ^ -(result & 1);
}

/** kafkajs's Decoder.readVarLong as a Number: up to 7 bytes (|v| < 2^48), else not handled */
function varLong(buf: Buffer): number {
  let b: number;
  let z = 0;
  let mul = 1;
  let n = 0;
  do {
    if (pos >= end || n === 7) throw NOT_HANDLED;
    b = buf[pos++]!;
    z += (b & 0x7f) * mul;
    mul *= 128;
    n++;
  } while (b >= 0x80);
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** kafkajs's readVarIntBytes: null for -1, a view of the bytes otherwise */
function bytes(buf: Buffer): Buffer | null {
  const len = varInt(buf);
  if (len === -1) return null;
  if (len < 0 || pos + len > end) throw NOT_HANDLED;
  const v = buf.subarray(pos, pos + len);
  pos += len;
  return v;
}

// header keys seen in this batch, by their position in the record: bytes and decoded string
const keyStarts: number[] = [];
const keyLens: number[] = [];
const keyStrings: string[] = [];

/** kafkajs's readVarIntString for the `index`-th header key of a record, reusing the previous record's string when the bytes are equal */
function headerKey(buf: Buffer, index: number): string | null {
  const len = varInt(buf);
  if (len === -1) return null;
  if (len < 0 || pos + len > end) throw NOT_HANDLED;
  if (index < keyStrings.length && keyLens[index] === len) {
    const prev = keyStarts[index]!;
    let same = true;
    for (let i = 0; i < len; i++) {
      if (buf[prev + i] !== buf[pos + i]) {
        same = false;
        break;
      }
    }
    if (same) {
      pos += len;
      return keyStrings[index]!;
    }
  }
  const s = buf.toString("utf8", pos, pos + len);
  if (index <= keyStrings.length) {
    keyStarts[index] = pos;
    keyLens[index] = len;
    keyStrings[index] = s;
  }
  pos += len;
  return s;
}

/**
 * The headers of a record without any: one frozen object for all of them (the engine only reads
 * a consumed message's headers; a record gets its own headers object when it is decoded).
 */
const NO_HEADERS: Headers = Object.freeze({}) as Headers;

/** kafkajs's header fold: one value per key, an array once a key repeats (kafkajs's quirks included) */
function headers(buf: Buffer): Headers {
  const count = varInt(buf);
  if (count === -1 || count === 0) return NO_HEADERS;
  if (count < 0) throw NOT_HANDLED;
  const obj: Headers = {};
  for (let i = 0; i < count; i++) {
    const key = headerKey(buf, i);
    const value = bytes(buf);
    const k = key as string; // kafkajs uses null as the property name "null"
    const cur = (obj as Record<string, unknown>)[k]; // inherited properties count, as in kafkajs
    const next = cur === undefined ? value : Array.isArray(cur) ? cur.concat([value]) : [cur, value];
    if (k === "__proto__") Object.defineProperty(obj, k, { value: next, writable: true, enumerable: true, configurable: true });
    else (obj as Record<string, unknown>)[k] = next;
  }
  return obj;
}

/**
 * Decodes one record batch at `fetchDecoder`'s position like kafkajs's RecordBatchDecoder and
 * advances it, or throws NOT_HANDLED without moving it.
 */
function decodeBatch(fetchDecoder: KafkajsDecoder) {
  const buf = fetchDecoder.buffer;
  let p = fetchDecoder.offset;
  if (p + 12 > buf.length) throw NOT_HANDLED;
  const firstOffset = int64String(buf, p);
  const length = buf.readInt32BE(p + 8);
  p += 12;
  const batchEnd = p + length;
  // partial batch (kafkajs throws KafkaJSPartialMessageError), or too short for the header
  if (length < 49 || batchEnd > buf.length) throw NOT_HANDLED;
  const partitionLeaderEpoch = buf.readInt32BE(p);
  const magicByte = buf.readInt8(p + 4);
  const attributes = buf.readInt16BE(p + 9);
  if ((attributes & 0x7) !== 0) throw NOT_HANDLED; // compressed
  const lastOffsetDelta = buf.readInt32BE(p + 11);
  const firstTimestamp = int64String(buf, p + 15);
  const maxTimestamp = int64String(buf, p + 23);
  const producerId = int64String(buf, p + 31);
  const producerEpoch = buf.readInt16BE(p + 39);
  const firstSequence = buf.readInt32BE(p + 41);
  const count = buf.readInt32BE(p + 45);
  pos = p + 49;

  const inTransaction = (attributes & TRANSACTIONAL_FLAG_MASK) > 0;
  const isControlBatch = (attributes & CONTROL_FLAG_MASK) > 0;
  const timestampType = (attributes & TIMESTAMP_TYPE_FLAG_MASK) > 0 ? LOG_APPEND_TIME : CREATE_TIME;
  const recordContext = {
    firstOffset,
    firstTimestamp,
    partitionLeaderEpoch,
    inTransaction,
    isControlBatch,
    lastOffsetDelta,
    producerId,
    producerEpoch,
    firstSequence,
    maxTimestamp,
    timestampType,
  };
  const batchContext = { ...recordContext, magicByte };
  const baseOffset = safe(firstOffset);
  const baseTimestamp = safe(firstTimestamp);
  const logAppend = timestampType === LOG_APPEND_TIME && !!maxTimestamp;

  if (count === -1) return { recordContext, records: [] as DecodedRecord[], batchEnd };
  if (count < 0 || count > length) throw NOT_HANDLED;
  keyStarts.length = 0;
  keyLens.length = 0;
  keyStrings.length = 0;
  const records = new Array<DecodedRecord>(count);
  for (let r = 0; r < count; r++) {
    end = batchEnd;
    const recLen = varInt(buf);
    if (recLen < 0 || pos + recLen > batchEnd) throw NOT_HANDLED;
    const recEnd = pos + recLen;
    end = recEnd;
    if (pos >= end) throw NOT_HANDLED;
    const recAttributes = buf.readInt8(pos++);
    const timestampDelta = varLong(buf);
    let timestamp: string;
    if (logAppend) timestamp = maxTimestamp;
    else if (timestampDelta === 0) timestamp = firstTimestamp;
    else {
      const t = baseTimestamp + timestampDelta;
      if (!Number.isSafeInteger(t)) throw NOT_HANDLED;
      timestamp = String(t);
    }
    const offsetDelta = varInt(buf);
    const o = baseOffset + offsetDelta;
    if (!Number.isSafeInteger(o)) throw NOT_HANDLED;
    const key = bytes(buf);
    const value = bytes(buf);
    records[r] = {
      magicByte,
      attributes: recAttributes,
      timestamp,
      offset: String(o),
      key,
      value,
      headers: headers(buf),
      isControlRecord: isControlBatch,
      batchContext,
    };
    pos = recEnd;
  }
  return { recordContext, records, batchEnd };
}

/**
 * Decodes the record batch at `fetchDecoder`'s position into kafkajs's batch object and advances the
 * decoder past it, or returns undefined (decoder unmoved) for what only kafkajs's decoder handles.
 */
export function tryDecodeRecordBatch(fetchDecoder: KafkajsDecoder): object | undefined {
  let decoded: ReturnType<typeof decodeBatch>;
  try {
    decoded = decodeBatch(fetchDecoder);
  } catch {
    return undefined; // NOT_HANDLED, or a malformed batch
  } finally {
    keyStarts.length = 0;
    keyLens.length = 0;
    keyStrings.length = 0;
  }
  fetchDecoder.offset = decoded.batchEnd;
  return { ...decoded.recordContext, records: decoded.records };
}

/**
 * kafkajs's RecordBatchDecoder with the fast path in front: `original` decodes what this one does
 * not handle, from the same position (so the result or error is kafkajs's own).
 */
export function fastRecordBatchDecoder(original: (d: KafkajsDecoder) => Promise<unknown>) {
  return async (fetchDecoder: KafkajsDecoder): Promise<unknown> => {
    const batch = tryDecodeRecordBatch(fetchDecoder);
    if (batch) {
      fetchDecoderStats.fast++;
      return batch;
    }
    fetchDecoderStats.declined++;
    return original(fetchDecoder);
  };
}
