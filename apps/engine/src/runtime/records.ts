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
 * Kafka message → record. Values are JSON; a value that is not JSON (external topics) becomes a
 * string. A message without a lineage id (an external topic) gets one here.
 */
export function decode(m: InMessage): MRecord {
  const headers: Record<string, string> = {};
  for (const k in m.headers) {
    const s = headerString(m.headers[k]);
    if (s !== undefined) headers[k] = s;
  }
  if (headers[HEADER.id] === undefined) headers[HEADER.id] = newRecordId();
  let value: unknown = null;
  if (m.value !== null) {
    const text = m.value.toString("utf8");
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
  }
  const r: MRecord = { value, headers };
  if (m.key !== null) r.key = m.key.toString("utf8");
  return r;
}

export function messageBytes(m: InMessage): number {
  return (m.value?.length ?? 0) + (m.key?.length ?? 0);
}

/** Record → Kafka message (value JSON-encoded to a Buffer so its size is known and kafkajs does not copy it again). */
export function encode(r: MRecord): OutMessage {
  const json = JSON.stringify(r.value === undefined ? null : r.value);
  const msg: OutMessage = { value: Buffer.from(json, "utf8"), headers: r.headers };
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
