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
 * The raw JSON bytes an object or array value was parsed from, as a non-enumerable symbol
 * property of the value itself: an output that carries the very same value object (a
 * pass-through record, or `{ key, value: r.value, headers }` as set-key does) is written with
 * those bytes instead of being JSON-encoded again. Spreads, Object.assign, JSON.stringify,
 * structuredClone and JSONata's key functions do not see or copy it, so a new object never
 * inherits stale bytes. Sound because records and their values are immutable by contract
 * (sdk.ts: processors never mutate an input).
 *
 * Values are parsed when decoded. Parsing lazily (an own accessor that parsed on first read,
 * with the bytes in WeakMaps) saved the parse for stages that never read values, but cost
 * more than it saved: records read through the accessor were ~2x dearer (object shape changes,
 * WeakMap ephemerons for the GC), and every filter/map stage reads its values.
 */
const RAW: unique symbol = Symbol("millrace.raw");
const RAW_DESCRIPTOR: PropertyDescriptor = { value: undefined, enumerable: false, writable: false, configurable: false };

type WithRaw = { [RAW]?: Buffer };

function parseValue(raw: Buffer): unknown {
  const text = raw.toString("utf8");
  try {
    const v: unknown = JSON.parse(text);
    if (v !== null && typeof v === "object") {
      RAW_DESCRIPTOR.value = raw;
      Object.defineProperty(v, RAW, RAW_DESCRIPTOR);
      RAW_DESCRIPTOR.value = undefined;
    }
    return v;
  } catch {
    return text;
  }
}

/**
 * A value no node of its stage reads (PlannedStage.valuesUnread): its bytes, not parsed, written
 * on as they came by encode(). Shown (a tap) through readValue().
 */
class UnreadValue {
  declare readonly [RAW]: Buffer;
  constructor(raw: Buffer) {
    (this as WithRaw)[RAW] = raw;
  }
}

/** A value as a reader sees it: an unread one parsed now. */
export function readValue(v: unknown): unknown {
  return v instanceof UnreadValue ? parseValue(v[RAW]) : v;
}

/** The bytes encode() writes for `r` without encoding its value again (undefined: it is encoded). */
export function rawValue(r: MRecord): Buffer | undefined {
  const v = r.value;
  return v !== null && typeof v === "object" ? (v as WithRaw)[RAW] : undefined;
}

/**
 * Kafka message → record. Values are JSON; a value that is not JSON (external topics) becomes a
 * string. A message without a lineage id (an external topic) gets one here. The message's
 * timestamp becomes the record's (Kafka's -1, "none", leaves it unset). `valuesUnread`: no node
 * reads the value, so it is kept as its bytes (UnreadValue), not parsed.
 */
export function decode(m: InMessage, valuesUnread = false): MRecord {
  const raw = m.value;
  return recordOf(m, raw === null ? null : valuesUnread ? new UnreadValue(raw) : parseValue(raw));
}

/** A record of `m`'s key, headers and timestamp with `value` (decoded by the caller: a format's decoder). */
export function recordOf(m: InMessage, value: unknown): MRecord {
  const headers: Record<string, string> = {};
  for (const k in m.headers) {
    const s = headerString(m.headers[k]);
    if (s !== undefined) headers[k] = s;
  }
  if (headers[HEADER.id] === undefined) headers[HEADER.id] = newRecordId();
  const timestamp = +m.timestamp;
  // one literal for the usual record (keyed, timestamped): no properties added after it is made
  if (m.key !== null && timestamp >= 0) return { key: m.key.toString("utf8"), value, headers, timestamp };
  const r: MRecord = { value, headers };
  if (m.key !== null) r.key = m.key.toString("utf8");
  if (timestamp >= 0) r.timestamp = timestamp;
  return r;
}

export function messageBytes(m: InMessage): number {
  return (m.value?.length ?? 0) + (m.key?.length ?? 0);
}

/**
 * Record → Kafka message (value JSON-encoded to a Buffer so its size is known and kafkajs does
 * not copy it again). A value object decoded from Kafka is written with the bytes it was read from.
 * The record's timestamp is set per topic when the message is added to a batch (Outgoing.add:
 * topics keeping event time get it; without one the producer stamps the time of sending).
 */
export function encode(r: MRecord): OutMessage {
  let value: Buffer | string | undefined = rawValue(r);
  if (value === undefined) {
    const json = JSON.stringify(r.value === undefined ? null : r.value);
    // a short text (a count, a flag, a small object) is written from the string itself: a Buffer
    // of its own would cost more than the copy it saves
    value = json.length <= SHORT_TEXT ? json : Buffer.from(json, "utf8");
  }
  // every field the message gets later (partition, timestamp: Outgoing.add) is there from the
  // start: one object shape, no property storage added per message
  const key = r.key;
  return { key: key === null ? undefined : key, value, headers: r.headers, partition: undefined, timestamp: undefined };
}

/** Strings up to this length are measured (and written by the produce encoder) in JavaScript. */
const SHORT_TEXT = 64;

/** UTF-8 length of `s`, without the native call for short ASCII strings. */
function utf8Bytes(s: string): number {
  const n = s.length;
  if (n > SHORT_TEXT) return Buffer.byteLength(s);
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s);
  return n;
}

export function encodedBytes(m: OutMessage): number {
  const v = m.value;
  const k = m.key;
  return (v == null ? 0 : typeof v === "string" ? utf8Bytes(v) : v.length) + (k == null ? 0 : typeof k === "string" ? utf8Bytes(k) : k.length);
}

/** HEADER.id and HEADER.parents as literals (checked against HEADER by their types), so the headers literal below has a fixed shape. */
const ID_HEADER: typeof HEADER.id = "mr.id";
const PARENTS_HEADER: typeof HEADER.parents = "mr.parents";

/**
 * Lineage: a record passed through unchanged (the very input object) keeps its id; a derived
 * or created record gets a new id with its parent's id in HEADER.parents, and its parent's
 * timestamp unless it has its own.
 *
 * The headers are copied key by key into a literal holding the two lineage headers: an object
 * spread with a computed key cost about ten times the time and six times the memory per record.
 */
export function withLineage(record: MRecord, parent: MRecord | undefined): MRecord {
  const src = record.headers;
  if (parent === record && src[ID_HEADER] !== undefined) return record;
  const pid = parent?.headers[ID_HEADER];
  const headers: Record<string, string> = pid === undefined ? { "mr.id": newRecordId() } : { "mr.id": newRecordId(), "mr.parents": pid };
  for (const k in src) {
    if (k === ID_HEADER || k === PARENTS_HEADER) continue;
    // a header named __proto__ stays a header (an assignment would set the prototype)
    if (k === "__proto__") Object.defineProperty(headers, k, { value: src[k], writable: true, enumerable: true, configurable: true });
    else headers[k] = src[k]!;
  }
  const key = record.key;
  const timestamp = record.timestamp ?? parent?.timestamp;
  if (key !== undefined && timestamp !== undefined) return { key, value: record.value, headers, timestamp };
  const out: MRecord = { value: record.value, headers };
  if (key !== undefined) out.key = key;
  if (timestamp !== undefined) out.timestamp = timestamp;
  return out;
}
