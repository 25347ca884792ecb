import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { expression, meta } from "../../schema.js";
import { durationMs, durationProblem } from "../aggregate/duration.js";

/**
 * How old a snapshot may be for an engine to start a table from it: a changelog keeps a deleted
 * key's tombstone this long (the engine creates changelogs so), and an older snapshot would bring
 * rows deleted since back.
 */
export const SNAPSHOT_START_WINDOW_MS = 24 * 60 * 60 * 1000;

/** The shortest snapshotEvery: each snapshot reads the changelog and writes the whole table. */
export const SNAPSHOT_EVERY_MIN_MS = 5 * 60 * 1000;

/** A stateful node's schedule of table snapshots (the engine takes one when the newest is this old). */
export const snapshotEvery = z
  .string({ error: 'snapshotEvery is a duration, like "1h" or "30m"' })
  .superRefine((s, ctx) => {
    const problem = durationProblem(s, false);
    if (problem) return ctx.addIssue({ code: "custom", message: problem });
    const ms = durationMs(s)!;
    if (ms < SNAPSHOT_EVERY_MIN_MS) ctx.addIssue({ code: "custom", message: `a snapshot at most every 5m (each one reads the whole changelog); got "${s}"` });
    else if (ms >= SNAPSHOT_START_WINDOW_MS) ctx.addIssue({ code: "custom", message: `must be under 24h: an engine starts only from a snapshot younger than that; got "${s}"` });
  })
  .meta(meta("Take a snapshot of the table to Postgres this often; a new engine starts from the newest (absent: only when asked).", { placeholder: "1h" }));

export const configSchema = z.strictObject({
  key: expression("The row a record writes (absent: the record's key).", { placeholder: "value.id" }).optional(),
  snapshotEvery: snapshotEvery.optional(),
});
export type TableConfig = z.infer<typeof configSchema>;

export const spec: ProcessorSpec<TableConfig> = {
  type: "table",
  version: 1,
  kind: "transform",
  title: "Table",
  description: "Keeps the latest value per key, queryable and joinable; emits each change.",
  hasInput: true,
  configSchema,
  outputPorts: () => ["success", "failure"],
  stateful: { rekeyBy: (c: TableConfig) => c?.key },
  example: {},
  docs: `Turns a stream into a table: each record sets the row of its key to its value, and a record whose
value is \`null\` (a Kafka tombstone) deletes the row.

- **key**: expression giving the row's key (absent: the record's key). Strings are used as they are,
  other results JSON-encoded; no result or \`null\` → \`failure\`
- each change goes on to \`success\` keyed by the row's key: the new value, or \`null\` for a delete
  (deleting a row that is not there changes nothing and emits nothing)
- **snapshotEvery** (e.g. \`1h\`, from \`5m\` to under \`24h\`): a snapshot of the table to Postgres this often (one engine takes it);
  an engine without the table's state starts from the newest snapshot plus the changelog after it

A join node looks rows up in it, \`millrace table get\` and \`table scan\` read it, and the designer shows
it live.`,
};
