import { randomBytes } from "node:crypto";
import { HEADER, type MRecord } from "@millrace/processors";
import type { InMessage, OutMessage } from "../kafka/index.js";

/** Lineage ids: a random per-process prefix plus a counter — unique across engines, cheap to make. */
const PREFIX = randomBytes(6).toString("base64url");
let counter = 0;
export function newRecordId(): string {
  return PREFIX + (counter++).toString(36);
}

function headerString(v: Buffer | string | (Buffer | string)[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "string") return v;
  if (Buffer.isBuffer(v)) return v.toString("utf8");
  const last = v[v.length - 1];
  return last === undefined ? undefined : typeof last === "string" ? last : last.toString("utf8");
}

/**
 * The raw JSON bytes a value was decoded from, by value object: an output that carries the very
 * same value object (a pass-through record, or `{ key, value: r.value, headers }` as set-key
 * does) is written with those bytes instead of being JSON-encoded again. Sound because records
 * and their values are immutable by contract (sdk.ts: processors never mutate an input).
 */
const rawOf = new WeakMap<object, Buffer>();

/** True when a value's bytes look like a JSON object or array (first and last non-blank byte). */
function looksLikeJsonContainer(b: Buffer): boolean {
  let i = 0;
  let j = b.length - 1;
  while (i <= j && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  while (j >= i && (b[j] === 0x20 || b[j] === 0x0a || b[j] === 0x0d || b[j] === 0x09)) j--;
  if (i >= j) return false;
  return (b[i] === 0x7b && b[j] === 0x7d) || (b[i] === 0x5b && b[j] === 0x5d);
}

function parseValue(raw: Buffer): unknown {
  const text = raw.toString("utf8");
  try {
    const v: unknown = JSON.parse(text);
    if (v !== null && typeof v === "object") rawOf.set(v, raw);
    return v;
  } catch {
    return text;
  }
}

/** Records whose value is still undecoded bytes (a JSON object or array), by record object. */
const unparsed = new WeakMap<object, Buffer>();

function settle(r: MRecord, v: unknown): void {
  Object.defineProperty(r, "value", { value: v, writable: true, enumerable: true, configurable: true });
}

/**
 * `value` of a lazily decoded record: an own, enumerable accessor (JSONata, spreads and
 * JSON.stringify see a plain record) that parses on first read and then turns into a plain data
 * property. A stage that never reads the value (kafka-source, kafka-sink, a key-only route)
 * neither parses nor re-encodes it: the input bytes go out as they came.
 */
const LAZY_VALUE: PropertyDescriptor = {
  get(this: MRecord): unknown {
    const raw = unparsed.get(this);
    let v: unknown = null;
    if (raw !== undefined) {
      unparsed.delete(this);
      v = parseValue(raw);
    }
    settle(this, v);
    return v;
  },
  set(this: MRecord, v: unknown): void {
    unparsed.delete(this);
    settle(this, v);
  },
  enumerable: true,
  configurable: true,
};

/** true while `r`'s value has not been read: encode() writes these bytes */
export function rawValue(r: MRecord): Buffer | undefined {
  return unparsed.get(r);
}

/**
 * Kafka message → record. Values are JSON; a value that is not JSON (external topics) becomes a
 * string. A message without a lineage id (an external topic) gets one here. Objects and arrays
 * are parsed lazily (LAZY_VALUE); a value that only looks like one and is not JSON still becomes
 * its string when first read.
 */
export function decode(m: InMessage): MRecord {
  const headers: Record<string, string> = {};
  for (const k in m.headers) {
    const s = headerString(m.headers[k]);
    if (s !== undefined) headers[k] = s;
  }
  if (headers[HEADER.id] === undefined) headers[HEADER.id] = newRecordId();
  const raw = m.value;
  if (raw !== null && looksLikeJsonContainer(raw)) {
    const r = { headers } as MRecord;
    if (m.key !== null) r.key = m.key.toString("utf8");
    Object.defineProperty(r, "value", LAZY_VALUE);
    unparsed.set(r, raw);
    return r;
  }
  const r: MRecord = { value: raw === null ? null : parseValue(raw), headers };
  if (m.key !== null) r.key = m.key.toString("utf8");
  return r;
}

export function messageBytes(m: InMessage): number {
  return (m.value?.length ?? 0) + (m.key?.length ?? 0);
}

/**
 * Record → Kafka message (value JSON-encoded to a Buffer so its size is known and kafkajs does
 * not copy it again). An unchanged value is written with the bytes it was read from.
 */
export function encode(r: MRecord): OutMessage {
  let value = unparsed.get(r);
  if (value === undefined) {
    const v = r.value;
    if (v !== null && typeof v === "object") value = rawOf.get(v);
    value ??= Buffer.from(JSON.stringify(v === undefined ? null : v), "utf8");
  }
  const msg: OutMessage = { value, headers: r.headers };
  if (r.key !== undefined && r.key !== null) msg.key = r.key;
  return msg;
}

export function encodedBytes(m: OutMessage): number {
  const v = m.value;
  const k = m.key;
  return (v == null ? 0 : typeof v === "string" ? Buffer.byteLength(v) : v.length) + (k == null ? 0 : typeof k === "string" ? Buffer.byteLength(k) : k.length);
}

/**
 * Lineage: a record passed through unchanged (the very input object) keeps its id; a derived
 * or created record gets a new id with its parent's id in HEADER.parents.
 */
export function withLineage(record: MRecord, parent: MRecord | undefined): MRecord {
  if (parent === record && record.headers[HEADER.id] !== undefined) return record;
  const headers: Record<string, string> = { ...record.headers, [HEADER.id]: newRecordId() };
  const pid = parent?.headers[HEADER.id];
  if (pid !== undefined) headers[HEADER.parents] = pid;
  else delete headers[HEADER.parents];
  const out: MRecord = { value: record.value, headers };
  if (record.key !== undefined) out.key = record.key;
  return out;
}
