import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { connectionField, connectionString, expression, meta, ownOrNamedConnection, sqlIdentifier } from "../../schema.js";

export const configSchema = z
  .strictObject({
    connection: connectionField("postgres"),
    connectionString: connectionString("Postgres connection string; use a #{parameter} (sensitive) for credentials.").optional(),
    table: z
      .string({ error: "a table is required" })
      .min(1, "the table name is empty")
      .max(127, "the table name is too long")
      .refine((s) => !s.includes("\u0000"), { message: "the table name contains a NUL character" })
      .meta(meta("Table to write, optionally schema-qualified (public.orders).", { placeholder: "orders" })),
    mode: z.enum(["insert", "upsert"], { error: "mode is 'insert' or 'upsert'" }).default("insert").meta(meta("insert, or upsert (INSERT … ON CONFLICT (keyColumns) DO UPDATE).")),
    keyColumns: z.array(sqlIdentifier).optional().meta(meta("The conflict target of an upsert: a unique or primary key.")),
    columns: z
      .record(sqlIdentifier, expression("Column value expression."))
      .refine((c) => Object.keys(c).length > 0, { message: "map at least one column" })
      .meta(meta("Column → JSONata expression evaluated against { value, key, headers }.", { widget: "keyvalue" })),
  })
  .superRefine(ownOrNamedConnection("connectionString"))
  .superRefine((c, ctx) => {
    if (c.mode !== "upsert") return;
    if (!c.keyColumns || c.keyColumns.length === 0) {
      ctx.addIssue({ code: "custom", path: ["keyColumns"], message: "an upsert needs keyColumns (the unique key to update on)" });
      return;
    }
    c.keyColumns.forEach((k, i) => {
      if (!Object.prototype.hasOwnProperty.call(c.columns, k))
        ctx.addIssue({ code: "custom", path: ["keyColumns", i], message: `key column '${k}' is not one of the mapped columns` });
    });
  });
export type PostgresSinkConfig = z.infer<typeof configSchema>;

export const spec: ProcessorSpec<PostgresSinkConfig> = {
  type: "postgres-sink",
  version: 1,
  kind: "sink",
  title: "Postgres sink",
  description: "Inserts or upserts records into a Postgres table.",
  hasInput: true,
  configSchema,
  outputPorts: () => ["success", "failure"],
  example: {
    connectionString: "#{db.url}",
    table: "orders",
    mode: "upsert",
    keyColumns: ["id"],
    columns: { id: "value.id", amount: "value.amount", payload: "value" },
  },
  docs: `Connects with **connection** (a postgres connection's name) or with its own
**connectionString**, one of the two.

Writes each record as one row of **table**: **columns** maps column names to JSONata expressions
(against \`{ value, key, headers }\`). Objects and arrays are written as JSON text (for \`json\`/\`jsonb\`
columns), no result as \`NULL\`. Names are quoted, so any table or column name is safe; \`schema.table\`
names a schema.

- **mode** \`insert\`: \`INSERT\`; \`upsert\`: \`INSERT … ON CONFLICT (keyColumns) DO UPDATE\` the other columns
- a batch is one multi-row statement; written records go to \`success\`
- when the statement fails on the data (constraint, type, unknown column…), the batch is retried row
  by row: the good rows are written, each bad one goes to \`failure\` with the database error in \`mr.error\`
- an expression failing → that record to \`failure\`
- connection problems are not the records' fault: the batch is retried by the runner (not committed)`,
};
