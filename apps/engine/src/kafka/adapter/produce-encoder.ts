// A hand-written encoder for kafkajs 2.2.4's Produce request (versions 3–7 share v3's body):
// byte-identical to kafkajs's own (protocol/requests/produce/v3/request.js + recordBatch/v0 +
// recordBatch/record/v0 + header/v0), but it measures every record first and then writes varints,
// keys, values and headers straight into one Buffer, with a slicing-by-16 CRC-32C.
//
// kafkajs's generic Encoder allocates a zero-filled 512-byte Buffer per record and per header,
// a Buffer per varint, BigInts per varlong, and grows/copies buffers on every level: ~23 % of the
// engine's CPU and much of its GC in the durable flow's profile.
//
// Only uncompressed batches whose keys, values and header values are strings, Buffers or (keys and
// values) null/undefined take this path; anything else (compression, other value types, odd
// timestamps) returns null and the caller uses kafkajs's encoder, so every input kafkajs accepts
// gives the same bytes and every input it rejects throws kafkajs's own error.
import { kafkajsInternal } from "./kafkajs-internals.js";
import { crc32c } from "./crc32c.js";

interface KafkajsLong {
  getHighBits(): number;
  getLowBits(): number;
}
const Long = kafkajsInternal<{ fromValue(v: unknown): KafkajsLong; fromInt(v: number): KafkajsLong }>("src/utils/long.js");

export interface ProduceMessage {
  key?: unknown;
  value?: unknown;
  headers?: unknown;
  timestamp?: unknown;
}

export interface ProduceArgs {
  acks?: unknown;
  timeout?: unknown;
  transactionalId?: unknown;
  producerId?: unknown;
  producerEpoch?: unknown;
  compression?: unknown;
  topicData: { topic: unknown; partitions: { partition: unknown; firstSequence?: unknown; messages: ProduceMessage[] }[] }[];
}

// Measurements from the sizing pass, read back in the same order by the writing pass:
// per record its body size, key length, value length, header count, then per header key its
// length and per header value its length (-1 = null). The writing pass walks the headers in the
// same (for-in) order, so no array of keys is made per record.
let sizes = new Int32Array(1 << 14);
let sp = 0;
function push(n: number): void {
  if (sp === sizes.length) {
    const next = new Int32Array(sizes.length * 2);
    next.set(sizes);
    sizes = next;
  }
  sizes[sp++] = n;
}
/** per partition: Date.now() at its encoding, whether any message has a timestamp, first/max timestamp */
const partitionTimes: { dateNow: number; first: unknown; max: unknown; any: boolean }[] = [];

const UNSUPPORTED = -2;

/** How many Produce requests this encoder wrote, and how many it left to kafkajs's encoder. */
export const produceEncoderStats = { fast: 0, declined: 0 };

/** Buffer.byteLength(s) (UTF-8), without the native call for short ASCII strings */
function strBytes(s: string): number {
  const n = s.length;
  if (n <= 64) {
    for (let i = 0; i < n; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s);
    return n;
  }
  return Buffer.byteLength(s);
}

/** byte length of a key/value/header value: -1 for null/undefined (when allowed), UNSUPPORTED for other types */
function dataBytes(v: unknown, nullable: boolean): number {
  if (typeof v === "string") return strBytes(v);
  if (v === null || v === undefined) return nullable ? -1 : UNSUPPORTED;
  if (Buffer.isBuffer(v)) return v.length;
  return UNSUPPORTED;
}

/** kafkajs's Encoder.sizeOfVarInt: zig-zag over 32 bits, then 7 bits per byte */
function varIntSize(v: number): number {
  let z = (v << 1) ^ (v >> 31);
  let n = 1;
  while ((z & 0xffffff80) !== 0) {
    n++;
    z >>>= 7;
  }
  return n;
}

function writeVarInt(buf: Buffer, off: number, v: number): number {
  let z = (v << 1) ^ (v >> 31);
  while ((z & 0xffffff80) !== 0) {
    buf[off++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  buf[off++] = z & 0x7f;
  return off;
}

/** zig-zag of a safe integer (kafkajs: 64-bit, via BigInt; the same value for |v| < 2^53) */
function zigZag64(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

function varLongSize(v: number): number {
  let z = zigZag64(v);
  let n = 1;
  while (z >= 128) {
    n++;
    z = Math.floor(z / 128);
  }
  return n;
}

function writeVarLong(buf: Buffer, off: number, v: number): number {
  let z = zigZag64(v);
  while (z >= 128) {
    buf[off++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  buf[off++] = z;
  return off;
}

/** writes a string or Buffer of `len` bytes (as measured) at off */
function writeData(buf: Buffer, off: number, v: string | Buffer, len: number): number {
  if (typeof v === "string") {
    if (len === v.length && len <= 64) {
      for (let i = 0; i < len; i++) buf[off + i] = v.charCodeAt(i);
    } else buf.write(v, off, len, "utf8");
  } else if (len <= 64) {
    for (let i = 0; i < len; i++) buf[off + i] = v[i]!;
  } else buf.set(v, off);
  return off + len;
}

function writeInt64(buf: Buffer, off: number, v: unknown): number {
  const l = Long.fromValue(v);
  buf.writeInt32BE(l.getHighBits(), off);
  buf.writeInt32BE(l.getLowBits(), off + 4);
  return off + 8;
}

/** kafkajs's timestampDelta for one message, or NaN when this encoder does not handle it */
function timestampDelta(m: ProduceMessage, t: { dateNow: number; first: unknown; any: boolean }): number {
  if (!t.any) return 0;
  const d = ((m.timestamp || t.dateNow) as number) - (t.first as number);
  if (typeof d !== "number") return NaN;
  if (d !== d) return 0; // Long.fromValue(NaN) is 0
  return Number.isSafeInteger(d) ? d : NaN;
}

/**
 * True when every timestamp given is a whole number of milliseconds with 13 digits (Sept 2001 to
 * Nov 2286): such numbers order as their decimal strings do, so they need no String() each.
 */
function allEpochMillis(messages: ProduceMessage[]): boolean {
  for (let i = 0; i < messages.length; i++) {
    const ts = messages[i]!.timestamp;
    if (ts == null) continue;
    if (typeof ts !== "number" || !(ts >= 1e12 && ts < 1e13) || Math.floor(ts) !== ts) return false;
  }
  return true;
}

/** Sizing pass over one partition's messages; returns the record batch body size or UNSUPPORTED. */
function measurePartition(messages: ProduceMessage[], t: { dateNow: number; first: unknown; any: boolean }): number {
  let total = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const delta = timestampDelta(m, t);
    if (delta !== delta) return UNSUPPORTED;
    const kLen = dataBytes(m.key, true);
    const vLen = dataBytes(m.value, true);
    if (kLen === UNSUPPORTED || vLen === UNSUPPORTED) return UNSUPPORTED;
    const at = sp;
    push(0);
    push(kLen);
    push(vLen);
    push(0);
    let hSize = 0;
    let hCount = 0;
    const h = m.headers;
    if (h !== undefined) {
      if (typeof h !== "object" || h === null) return UNSUPPORTED;
      for (const k in h) {
        // kafkajs writes own keys only (Object.keys)
        if (!Object.prototype.hasOwnProperty.call(h, k)) return UNSUPPORTED;
        const hv = (h as Record<string, unknown>)[k];
        const hkLen = strBytes(k);
        push(hkLen);
        const hkSize = varIntSize(hkLen) + hkLen;
        if (Array.isArray(hv)) {
          for (let x = 0; x < hv.length; x++) {
            const len = dataBytes(hv[x], false);
            if (len === UNSUPPORTED) return UNSUPPORTED;
            push(len);
            hSize += hkSize + varIntSize(len) + len;
            hCount++;
          }
        } else {
          const len = dataBytes(hv, false);
          if (len === UNSUPPORTED) return UNSUPPORTED;
          push(len);
          hSize += hkSize + varIntSize(len) + len;
          hCount++;
        }
      }
    }
    sizes[at + 3] = hCount;
    const body =
      1 +
      varLongSize(delta) +
      varIntSize(i) +
      (kLen < 0 ? 1 : varIntSize(kLen) + kLen) +
      (vLen < 0 ? 1 : varIntSize(vLen) + vLen) +
      varIntSize(hCount) +
      hSize;
    sizes[at] = body;
    total += varIntSize(body) + body;
  }
  return total;
}

function writeRecords(buf: Buffer, off: number, messages: ProduceMessage[], t: { dateNow: number; first: unknown; any: boolean }): number {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const body = sizes[sp++]!;
    const kLen = sizes[sp++]!;
    const vLen = sizes[sp++]!;
    off = writeVarInt(buf, off, body);
    buf[off++] = 0; // record attributes
    off = writeVarLong(buf, off, timestampDelta(m, t));
    off = writeVarInt(buf, off, i);
    off = writeVarInt(buf, off, kLen);
    if (kLen >= 0) off = writeData(buf, off, m.key as string | Buffer, kLen);
    off = writeVarInt(buf, off, vLen);
    if (vLen >= 0) off = writeData(buf, off, m.value as string | Buffer, vLen);
    const count = sizes[sp++]!;
    off = writeVarInt(buf, off, count);
    // every key, those holding an empty array too: the sizing pass measured each
    const h = m.headers as Record<string, unknown> | undefined;
    for (const k in h) {
      const hv = h[k];
      const hkLen = sizes[sp++]!;
      if (Array.isArray(hv)) {
        for (let x = 0; x < hv.length; x++) {
          off = writeVarInt(buf, off, hkLen);
          off = writeData(buf, off, k, hkLen);
          const len = sizes[sp++]!;
          off = writeVarInt(buf, off, len);
          off = writeData(buf, off, hv[x] as string | Buffer, len);
        }
      } else {
        off = writeVarInt(buf, off, hkLen);
        off = writeData(buf, off, k, hkLen);
        const len = sizes[sp++]!;
        off = writeVarInt(buf, off, len);
        off = writeData(buf, off, hv as string | Buffer, len);
      }
    }
  }
  return off;
}

/** kafkajs's Encoder.writeString size: INT16 length (-1 for null) + UTF-8 bytes */
function nullableStringBytes(s: unknown): number {
  if (s === null || s === undefined) return 0;
  if (typeof s !== "string") return UNSUPPORTED;
  return Buffer.byteLength(s, "utf8");
}

function writeNullableString(buf: Buffer, off: number, s: unknown, len: number): number {
  if (s === null || s === undefined) {
    buf.writeInt16BE(-1, off);
    return off + 2;
  }
  buf.writeInt16BE(len, off);
  buf.write(s as string, off + 2, len, "utf8");
  return off + 2 + len;
}

const RECORD_BATCH_HEADER = 8 + 4 + 4 + 1 + 4; // firstOffset, length, partitionLeaderEpoch, magic, crc
const BATCH_BODY_HEADER = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4; // attributes … firstSequence, record count

/**
 * The Produce request body (what kafkajs's `encode()` returns) written at offset `prefix` of a new
 * Buffer of prefix + body bytes (so the caller can put the request header in front without a
 * copy), or null when the request needs kafkajs's own encoder (see the file comment).
 */
export function encodeProduceRequest(args: ProduceArgs, prefix = 0): Buffer | null {
  const buf = encode(args, prefix);
  if (buf) produceEncoderStats.fast++;
  else produceEncoderStats.declined++;
  return buf;
}

function encode(args: ProduceArgs, prefix: number): Buffer | null {
  const compression = args.compression;
  if (compression !== undefined && compression !== 0) return null;
  const { transactionalId = null, topicData } = args;
  const producerId = args.producerId === undefined ? Long.fromInt(-1) : args.producerId;
  const producerEpoch = args.producerEpoch === undefined ? 0 : args.producerEpoch;
  sp = 0;
  partitionTimes.length = 0;
  try {
    // sizing pass
    const txLen = nullableStringBytes(transactionalId);
    if (txLen === UNSUPPORTED || !Array.isArray(topicData)) return null;
    let total = 2 + txLen + 2 + 4 + 4;
    const bodySizes: number[] = [];
    for (const td of topicData) {
      const topicLen = nullableStringBytes(td.topic);
      if (topicLen === UNSUPPORTED || !Array.isArray(td.partitions)) return null;
      total += 2 + topicLen + 4;
      for (const p of td.partitions) {
        const messages = p.messages;
        if (!Array.isArray(messages)) return null;
        // kafkajs: timestamps = messages' non-null timestamps sorted (as strings), or [Date.now()]
        const dateNow = Date.now();
        let any = false;
        for (let i = 0; i < messages.length; i++) {
          if (messages[i]!.timestamp != null) {
            any = true;
            break;
          }
        }
        let first: unknown = dateNow;
        let max: unknown = dateNow;
        if (any && allEpochMillis(messages)) {
          // the same first and last as below: 13-digit numbers compare as their strings do
          let lo = Infinity;
          let hi = -Infinity;
          for (let i = 0; i < messages.length; i++) {
            const ts = messages[i]!.timestamp as number | null | undefined;
            if (ts == null) continue;
            if (ts < lo) {
              lo = ts;
              first = ts;
            }
            if (ts >= hi) {
              hi = ts;
              max = ts;
            }
          }
        } else if (any) {
          // kafkajs's sort() of the timestamps compares them as strings; one pass finds the same
          // first and last (stable: the first of equal smallest, the last of equal largest)
          // without its three arrays per partition, now that every message has a timestamp
          let lo: string | undefined;
          let hi: string | undefined;
          for (let i = 0; i < messages.length; i++) {
            const ts = messages[i]!.timestamp;
            if (ts == null) continue;
            const s = typeof ts === "string" ? ts : String(ts);
            if (lo === undefined || s < lo) {
              lo = s;
              first = ts;
            }
            if (hi === undefined || s >= hi) {
              hi = s;
              max = ts;
            }
          }
        }
        const t = { dateNow, first, max, any };
        partitionTimes.push(t);
        const records = measurePartition(messages, t);
        if (records === UNSUPPORTED) return null;
        const body = BATCH_BODY_HEADER + records;
        bodySizes.push(body);
        total += 4 + 4 + RECORD_BATCH_HEADER + body;
      }
    }

    // writing pass
    const buf = Buffer.allocUnsafe(prefix + total);
    sp = 0;
    let off = writeNullableString(buf, prefix, transactionalId, txLen);
    off = buf.writeInt16BE(args.acks as number, off);
    off = buf.writeInt32BE(args.timeout as number, off);
    off = buf.writeInt32BE(topicData.length, off);
    let pi = 0;
    const attributes = transactionalId ? 16 : 0; // TRANSACTIONAL_MASK; compression NONE, CREATE_TIME
    for (const td of topicData) {
      off = writeNullableString(buf, off, td.topic, nullableStringBytes(td.topic));
      off = buf.writeInt32BE(td.partitions.length, off);
      for (const p of td.partitions) {
        const t = partitionTimes[pi]!;
        const body = bodySizes[pi++]!;
        const messages = p.messages;
        off = buf.writeInt32BE(p.partition as number, off);
        off = buf.writeInt32BE(RECORD_BATCH_HEADER + body, off);
        off = buf.writeInt32BE(0, off); // firstOffset (int64 0)
        off = buf.writeInt32BE(0, off);
        off = buf.writeInt32BE(4 + 1 + 4 + body, off); // batch length
        off = buf.writeInt32BE(0, off); // partitionLeaderEpoch
        off = buf.writeInt8(2, off); // magic
        const crcAt = off;
        off += 4;
        const bodyStart = off;
        off = buf.writeInt16BE(attributes, off);
        off = buf.writeInt32BE(messages.length - 1, off); // lastOffsetDelta
        off = writeInt64(buf, off, t.first);
        off = writeInt64(buf, off, t.max);
        off = writeInt64(buf, off, producerId);
        off = buf.writeInt16BE(producerEpoch as number, off);
        off = buf.writeInt32BE(p.firstSequence === undefined ? 0 : (p.firstSequence as number), off);
        off = buf.writeInt32BE(messages.length, off);
        off = writeRecords(buf, off, messages, t);
        if (off - bodyStart !== body) throw new Error(`produce encoder: batch body ${off - bodyStart} bytes, measured ${body}`);
        buf.writeUInt32BE(crc32c(buf, bodyStart, off), crcAt);
      }
    }
    if (off !== buf.length) throw new Error(`produce encoder: wrote ${off} of ${buf.length} bytes`);
    return buf;
  } catch {
    return null; // kafkajs's encoder gives the answer (or its own error)
  } finally {
      partitionTimes.length = 0;
  }
}
