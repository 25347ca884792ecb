import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { connectionField, connectionString, meta, ownOrNamedConnection } from "../../schema.js";

/** `schema.table`, both parts plain or double-quoted Postgres names (a table without its schema is ambiguous). */
const QUALIFIED_TABLE = /^(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")\.(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")$/;
const columnName = z.string({ error: "a column name is text" }).min(1, "a column name is empty");

export const configSchema = z
  .strictObject({
    connection: connectionField("postgres"),
    url: connectionString("Postgres connection string (its role needs REPLICATION); use a #{parameter} (sensitive) for credentials.").optional(),
    tables: z
      .array(
        z
          .string({ error: "a table name is text" })
          .regex(QUALIFIED_TABLE, "a table is schema-qualified: schema.table (quote names with other characters: \"My Schema\".\"Orders\")"),
        { error: "tables is a list of schema-qualified table names" },
      )
      .min(1, "name at least one table")
      .refine((t) => new Set(t).size === t.length, { message: "a table is listed twice" })
      .optional()
      .meta(meta("Tables whose changes are captured, schema-qualified (public.orders); not with outbox.")),
    outbox: z
      .strictObject(
        {
          table: z.string().regex(QUALIFIED_TABLE, "the outbox table is schema-qualified: schema.table").optional().meta(meta("The outbox table (default public.outbox).")),
          idColumn: columnName.optional().meta(meta("The row's id (default id), in the header mr.outbox.id.")),
          topicColumn: columnName.optional().meta(meta("The topic the event goes to (default topic), in the header mr.outbox.topic.")),
          keyColumn: columnName.optional().meta(meta("The event's key (default aggregate_id).")),
          payloadColumn: columnName.optional().meta(meta("The event's value (default payload): jsonb as JSON, text as text.")),
          headersColumn: columnName.optional().meta(meta("A jsonb object of header names and texts (default headers; optional in the table).")),
          typeColumn: columnName.optional().meta(meta("The event's type (default type; optional in the table), in the header mr.outbox.type.")),
        },
        { error: "outbox is an object naming the outbox table's columns" },
      )
      .optional()
      .meta(meta("Outbox mode: each row inserted into the outbox table becomes one event on the topic the row names, with its key and headers; updates and deletes of the table are not emitted.")),
    snapshot: z
      .enum(["initial", "never"], { error: "snapshot is initial or never" })
      .optional()
      .meta(meta("initial (default; with outbox: never): the existing rows first (op r), then the changes; never: only changes from the moment the slot is created.")),
    envelope: z
      .enum(["millrace", "debezium"], { error: "envelope is millrace or debezium" })
      .default("millrace")
      .meta(meta("The record's shape: millrace ({op, before, after, source}) or Debezium's Postgres connector's (JSON, schemas disabled).")),
    avroSchema: z
      .boolean({ error: "avroSchema is true or false" })
      .optional()
      .meta(meta("Put each change's Avro schema, derived from its table as it is at the change, in the header mr.avro.schema, for a kafka-sink with format avro and schemaFromRecord.")),
    publication: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, "a publication name has lowercase letters, digits and _ (at most 63)")
      .optional()
      .meta(meta("An existing publication to read (absent: one is created for the tables, named after the slot).")),
    keys: z
      .record(z.string(), z.array(z.string().min(1, "a column name is empty"), { error: "a key is a list of column names" }).min(1, "a key has at least one column"))
      .optional()
      .meta(meta("Key columns per table, for a table without a primary key or to key by other columns: {\"public.events\": [\"event_id\"]}.")),
    columnTypes: z
      .record(
        z.string().regex(/^[^.]+\.[^.]+\.[^.]+$/, "a column is named schema.table.column"),
        z.enum(["text", "number", "json"], { error: "a column's type is text, number or json" }),
      )
      .optional()
      .meta(meta("Per-column mapping in place of its type's: {\"public.orders.amount\": \"number\"} (text: as Postgres writes it; number: a JSON number, precision beyond a double lost; json: parsed).")),
    snapshotChunkRows: z
      .number()
      .int()
      .min(100, "snapshotChunkRows is at least 100")
      .max(100_000, "snapshotChunkRows is at most 100000")
      .default(5000)
      .meta(meta("Rows fetched from the database per snapshot chunk.")),
  })
  .superRefine(ownOrNamedConnection("url"))
  .superRefine((c, ctx) => {
    if (c.outbox && c.tables) ctx.addIssue({ code: "custom", path: ["tables"], message: "with outbox the node captures the outbox table only: leave tables out (name the table in outbox.table)" });
    if (!c.outbox && !c.tables) ctx.addIssue({ code: "custom", path: ["tables"], message: "name the tables to capture (or give outbox)" });
    if (c.outbox && c.avroSchema) ctx.addIssue({ code: "custom", path: ["avroSchema"], message: "with outbox each record is the row's own event, with no table schema: leave avroSchema out" });
    if (c.outbox && c.envelope === "debezium") ctx.addIssue({ code: "custom", path: ["envelope"], message: "with outbox each record is the row's event, not a change envelope: leave envelope out" });
    const tables = capturedTables(c);
    for (const table of Object.keys(c.keys ?? {})) {
      if (!tables.includes(table)) ctx.addIssue({ code: "custom", path: ["keys", table], message: `keys names ${table}, which is not in tables` });
    }
    for (const column of Object.keys(c.columnTypes ?? {})) {
      const table = column.slice(0, column.lastIndexOf("."));
      if (!tables.includes(table)) ctx.addIssue({ code: "custom", path: ["columnTypes", column], message: `columnTypes names a column of ${table}, which is not in tables` });
    }
  });
export type PostgresCdcConfig = z.infer<typeof configSchema>;
/** The outbox table's layout as configured (absent fields: `OUTBOX_DEFAULTS`, like Debezium's outbox event router's). */
export type OutboxConfig = NonNullable<PostgresCdcConfig["outbox"]>;

export const OUTBOX_DEFAULTS = {
  table: "public.outbox",
  idColumn: "id",
  topicColumn: "topic",
  keyColumn: "aggregate_id",
  payloadColumn: "payload",
  headersColumn: "headers",
  typeColumn: "type",
} as const;

/** The outbox table of a config (default `public.outbox`). */
export function outboxTable(config: OutboxConfig): string {
  return config.table ?? OUTBOX_DEFAULTS.table;
}

/** The tables the node reads: the outbox table in outbox mode. */
export function capturedTables(c: Pick<PostgresCdcConfig, "tables" | "outbox">): string[] {
  return c.outbox ? [outboxTable(c.outbox)] : (c.tables ?? []);
}

export const spec: ProcessorSpec<PostgresCdcConfig> = {
  type: "postgres-cdc",
  version: 1,
  kind: "source",
  title: "Postgres CDC",
  description: "Streams every committed insert, update and delete of tables (logical replication).",
  hasInput: false,
  configSchema,
  // an outbox row that cannot make an event (no topic, no key) goes to failure
  outputPorts: (c: PostgresCdcConfig) => (c?.outbox ? ["success", "failure"] : ["success"]),
  example: {
    url: "#{db.url}",
    tables: ["public.orders"],
    snapshot: "initial",
    envelope: "millrace",
    snapshotChunkRows: 5000,
  },
  docs: `Change data capture: every committed insert, update and delete of **tables** becomes a record,
in commit order, read with Postgres' logical replication (the built-in \`pgoutput\` plugin).

Connects with **connection** (a postgres connection's name) or its own **url**. The server needs
\`wal_level = logical\` and the role the REPLICATION attribute (or superuser). The embedded Postgres of
\`pnpm start\` (PGlite) has no logical replication: point this node at a Postgres server.

**Record**: the key is the row's primary key as JSON (\`{"id":42}\`), or the columns **keys** names for
the table (a table without a primary key and without **keys** gets a warning and records without a
key); the value (envelope *millrace*):

\`\`\`json
{ "op": "u", "before": {"id": 42, "status": "new"}, "after": {"id": 42, "status": "paid"},
  "source": { "table": "public.orders", "lsn": "0/16B3748", "txId": 771, "commitTime": "2026-01-02T03:04:05.123456Z" } }
\`\`\`

\`op\` is \`c\` (insert), \`u\` (update), \`d\` (delete) or \`r\` (a row of the initial snapshot). \`before\` is the
old row of an update or delete as the table's REPLICA IDENTITY allows: the whole row with
\`ALTER TABLE … REPLICA IDENTITY FULL\`, else only the key columns (null on an update that did not change
them). A value stored out of line (TOAST) and not changed by an update is absent from \`after\` unless the
identity is FULL. Envelope *debezium* writes what Debezium's Postgres connector writes with the JSON
converter and schemas disabled (\`before\`, \`after\`, \`source\`, \`op\`, \`ts_ms\`), so its consumers work unchanged.

**Transactions** are kept whole: the changes of one transaction are emitted in the same batch (in
exactly-once mode: the same Kafka transaction) with the same \`source.txId\`. A very large transaction is
held in memory until its commit is read.

**Types**: numeric as a string (no precision lost), bigint as a number when it fits a double exactly
(else a string), timestamptz as ISO-8601 UTC with its microseconds, timestamp without a zone, date and
time as ISO text, json/jsonb as JSON, arrays as JSON arrays, bytea as base64, booleans, enums, uuid,
interval and every other type as their text. **columnTypes** sets a column's mapping to text, number or json
instead (\`{"public.orders.amount": "number"}\`), in the snapshot and the stream alike.

**avroSchema**: each record also carries, in the header \`mr.avro.schema\`, the Avro schema of its
table as it is at that change (\`<schema>.<table>.Envelope\`, every column an optional field; names Avro
refuses adjusted, \`order-ref\` → \`order_ref\`, in the rows too; json/jsonb kept as their text). A
kafka-sink with format avro and **schemaFromRecord** registers each new schema as the subject's next
version and writes with it: an added or dropped column needs no redeploy.

**Snapshot**: with *initial* (default) a new slot's exported snapshot is read first, **snapshotChunkRows**
rows at a time, each row a record with op \`r\`; the changes follow from exactly the slot's starting
point, so none is missed or repeated. A snapshot interrupted by a stop or a crash starts over.

**Positions**: the node creates a replication slot named after its flow and node (\`mr_…\`) and, without
**publication**, a publication of the tables with the same name. The source's checkpoint is the commit
position (LSN) of the last transaction written; the slot's confirmed position moves only once the
records up to it are acknowledged by Kafka (at-least-once) or committed (exactly-once), so the server
keeps the WAL until then, and a restart (on any engine) continues from there. Stopping the flow
drops the slot and the publication made for it; a slot nobody reads (its flow deleted while no engine
ran it) keeps WAL on the database's disk: each node names such slots in a warning when it starts,
and \`millrace cdc slots\` lists them with the flow each belongs to (drop one with
\`SELECT pg_drop_replication_slot('mr_…')\`).

**Outbox**: with **outbox** (instead of **tables**) the node reads an outbox table that a service
writes in the same transaction as its state, and each inserted row becomes one event: key = the
\`aggregate_id\` column, value = \`payload\` (jsonb as JSON, text as text), headers = the row's
\`headers\` (a jsonb object of texts) plus \`mr.outbox.id\`, \`mr.outbox.type\` and \`mr.outbox.topic\`
(the row's \`topic\`). Other column names: \`{"table": "public.outbox", "idColumn": "id", "topicColumn":
"topic", "keyColumn": "aggregate_id", "payloadColumn": "payload", "headersColumn": "headers",
"typeColumn": "type"}\` (headers and type may be absent from the table). Updates and deletes of the
outbox table are never emitted (its publication carries inserts only), so the service may delete its
rows right after inserting them; a rolled-back transaction emits nothing. The rows already there when
the slot is made are not emitted (**snapshot** defaults to *never* in outbox mode); *initial* emits
them first. A row without a topic or key, or whose headers are not an object of texts (or name
\`mr.…\`), goes to \`failure\` naming the row's id and the column. Route each event to its topic with a
kafka-sink's **topicExpression** \`headers."mr.outbox.topic"\` and its **topics** list.`,
};
