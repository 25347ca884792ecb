import { toHeaderString } from "../../expr.js";
import { failed, HEADER, type MRecord } from "../../sdk.js";
import type { ChangeEncoder } from "./changes.js";
import type { CapturedTable } from "./setup.js";
import { OUTBOX_DEFAULTS, type OutboxConfig } from "./spec.js";

type Row = Record<string, unknown>;

/** Headers every outbox record carries beside the row's own. */
export const OUTBOX_HEADER = {
  /** the outbox row's id, as text */
  id: "mr.outbox.id",
  /** the row's event type (when the table has a type column) */
  type: "mr.outbox.type",
  /** the topic the row names: a kafka-sink's topicExpression picks it up (`headers."mr.outbox.topic"`) */
  topic: "mr.outbox.topic",
} as const;


/** The layout resolved against the table: optional columns the table lacks are absent. */
export interface OutboxLayout {
  table: string;
  id: string;
  topic: string;
  key: string;
  payload: string;
  headers: string | undefined;
  type: string | undefined;
}

/** A Kafka topic name (what a broker accepts). */
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * Checks the configured columns against the table: id, topic, key and payload must exist; headers
 * and type may be missing only when left at their default names (the table then has none).
 */
export function resolveLayout(config: OutboxConfig, table: CapturedTable): OutboxLayout {
  const has = new Set(table.columns);
  const required = (field: "idColumn" | "topicColumn" | "keyColumn" | "payloadColumn"): string => {
    const column = config[field] ?? OUTBOX_DEFAULTS[field];
    if (!has.has(column)) throw new Error(`postgres-cdc: the outbox table ${table.name} has no column ${column} (outbox.${field}); its columns: ${table.columns.join(", ")}`);
    return column;
  };
  const optional = (field: "headersColumn" | "typeColumn"): string | undefined => {
    const column = config[field];
    if (column === undefined) return has.has(OUTBOX_DEFAULTS[field]) ? OUTBOX_DEFAULTS[field] : undefined;
    if (!has.has(column)) throw new Error(`postgres-cdc: the outbox table ${table.name} has no column ${column} (outbox.${field}); its columns: ${table.columns.join(", ")}`);
    return column;
  };
  return {
    table: table.name,
    id: required("idColumn"),
    topic: required("topicColumn"),
    key: required("keyColumn"),
    payload: required("payloadColumn"),
    headers: optional("headersColumn"),
    type: optional("typeColumn"),
  };
}

/** A column's value (never null here) as header or key text: strings as they are, numbers and booleans as text, the rest JSON. */
const asText = (v: unknown): string => toHeaderString(v)!;

/**
 * Turns an inserted outbox row into its event: key = the key column, value = the payload (jsonb as
 * JSON, text as text), headers = the row's headers plus its id, type and topic. A row whose topic,
 * key or headers cannot make a record becomes a `failure` record naming the row and the column.
 */
export function outboxRecord(layout: OutboxLayout, row: Row, nodeId: string): MRecord {
  const id = row[layout.id];
  const idText = id === null || id === undefined ? "(no id)" : asText(id);
  const bad = (column: string, why: string): MRecord =>
    failed({ value: row, headers: { [OUTBOX_HEADER.id]: idText } }, `outbox row ${idText} of ${layout.table}: column ${column} ${why}`, nodeId);

  const topic = row[layout.topic];
  if (topic === null || topic === undefined || topic === "") return bad(layout.topic, "is empty: the row names the topic its event goes to");
  if (typeof topic !== "string" || !TOPIC.test(topic)) return bad(layout.topic, `is ${JSON.stringify(topic)}, not a Kafka topic name (letters, digits, '.', '_', '-', at most 249)`);
  const key = row[layout.key];
  if (key === null || key === undefined || key === "") return bad(layout.key, "is empty: the row's key orders its events in Kafka");

  const headers: Record<string, string> = {};
  if (layout.headers !== undefined) {
    const given = row[layout.headers];
    if (given !== null && given !== undefined) {
      if (typeof given !== "object" || Array.isArray(given)) return bad(layout.headers, `is ${JSON.stringify(given)}, not a JSON object of header names and texts`);
      for (const name in given) {
        // Millrace's own headers (lineage, errors, the chosen topic) are not the service's to set
        if (name.startsWith("mr.")) return bad(layout.headers, `has header ${JSON.stringify(name)}: names starting with "mr." are Millrace's`);
        const v = (given as Row)[name];
        if (v === null || v === undefined) continue;
        if (typeof v === "object") return bad(layout.headers, `has header ${JSON.stringify(name)} with a ${Array.isArray(v) ? "list" : "object"}: a header's value is text`);
        headers[name] = asText(v);
      }
    }
  }
  headers[OUTBOX_HEADER.id] = idText;
  if (layout.type !== undefined) {
    const type = row[layout.type];
    if (type !== null && type !== undefined) headers[OUTBOX_HEADER.type] = asText(type);
  }
  headers[OUTBOX_HEADER.topic] = topic;
  const payload = row[layout.payload];
  return { key: asText(key), value: payload === undefined ? null : payload, headers };
}

/** The encoder of an outbox source: inserts (and snapshot rows) become events; the node never emits updates or deletes. */
export function outboxEncoder(layout: OutboxLayout, nodeId: string): ChangeEncoder {
  return (_op, _before, after, _table, _tx) => outboxRecord(layout, after ?? {}, nodeId);
}

/** Splits a batch's failure records (those `outboxRecord` made) from its events; no copy when there are none. */
export function splitFailures(records: MRecord[]): { records: MRecord[]; failures?: MRecord[] } {
  let i = 0;
  while (i < records.length && records[i]!.headers[HEADER.error] === undefined) i++;
  if (i === records.length) return { records };
  const ok = records.slice(0, i);
  const failures: MRecord[] = [];
  for (; i < records.length; i++) {
    const r = records[i]!;
    if (r.headers[HEADER.error] === undefined) ok.push(r);
    else failures.push(r);
  }
  return { records: ok, failures };
}
