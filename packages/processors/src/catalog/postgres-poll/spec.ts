import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { connectionField, connectionString, meta, ownOrNamedConnection, sqlIdentifier } from "../../schema.js";

export const configSchema = z
  .strictObject({
    connection: connectionField("postgres"),
    connectionString: connectionString("Postgres connection string; use a #{parameter} (sensitive) for credentials.").optional(),
    query: z
      .string({ error: "a query is required" })
      .trim()
      .min(1, "the query is empty")
      .refine((q) => /^(select|with|values|table)\b/i.test(q), { message: "the query must be a SELECT (or WITH / VALUES / TABLE)" })
      .meta(meta("A SELECT; its rows become records (row → JSON object).", { widget: "code", placeholder: "SELECT * FROM orders" })),
    intervalMs: z
      .number()
      .int()
      .min(100, "intervalMs is at least 100")
      .max(86_400_000, "intervalMs is at most one day")
      .default(5000)
      .meta(meta("Time between polls once caught up (ms).")),
    statementTimeoutMs: z
      .number()
      .int()
      .min(100, "statementTimeoutMs is at least 100")
      .max(3_600_000, "statementTimeoutMs is at most one hour")
      .default(30_000)
      .meta(meta("Longest a poll's query may run (ms); the database cancels it beyond.")),
    incrementingColumn: sqlIdentifier
      .optional()
      .meta(meta("A column that only grows (id, updated_at): only rows above the last seen value are read; it is the checkpoint.")),
  })
  .superRefine(ownOrNamedConnection("connectionString"));
export type PostgresPollConfig = z.infer<typeof configSchema>;

export const spec: ProcessorSpec<PostgresPollConfig> = {
  type: "postgres-poll",
  version: 1,
  kind: "source",
  title: "Postgres poll",
  description: "Reads new rows of a query periodically.",
  hasInput: false,
  configSchema,
  outputPorts: () => ["success"],
  example: {
    connectionString: "#{db.url}",
    query: "SELECT id, customer, amount, created_at FROM orders",
    intervalMs: 5000,
    statementTimeoutMs: 30000,
    incrementingColumn: "id",
  },
  docs: `Connects with **connection** (a postgres connection's name) or with its own
**connectionString**, one of the two.

Runs **query** and emits one record per row; the value is the row as a JSON object (Postgres'
\`row_to_json\`: timestamps as ISO text, numerics as numbers, json columns as JSON).

With **incrementingColumn** (recommended) the query is wrapped as
\`SELECT … FROM (query) q WHERE q.col > $last ORDER BY q.col LIMIT n\`: each row is read once, in column
order, and the last value read (exact, as text) is the checkpoint, so a restart resumes after it.
Pick a column that only grows and is unique (a serial id); with a timestamp, rows committed later with
an earlier value are missed. Without it, the whole result is emitted at every poll.

Each poll runs exactly one statement (several, e.g. \`SELECT 1; DROP TABLE t\`, are refused by the
database) in a read-only transaction: writes fail, data-modifying \`WITH\` included. A query running
longer than **statementTimeoutMs** (default 30 s) is cancelled. For defence in depth, connect as a
role that may only read.

Polls again immediately while there are more rows, then every **intervalMs**. The query must not end
with a \`LIMIT\` that hides new rows, and cannot use \`$1\` parameters. Database errors are logged (no
credentials) and retried at the next interval.`,
};
