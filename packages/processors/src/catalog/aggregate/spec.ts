import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { expression, meta } from "../../schema.js";
import { durationMs, durationProblem } from "./duration.js";
import { snapshotEvery } from "../table/spec.js";

export const AGGREGATE_OPS = ["count", "sum", "min", "max", "avg", "latest", "collect"] as const;
export type AggregateOp = (typeof AGGREGATE_OPS)[number];
/** Ops that cannot work without a `value` expression (they read numbers). */
const NEEDS_VALUE: ReadonlySet<AggregateOp> = new Set(["sum", "min", "max", "avg"]);

export const WINDOW_TYPES = ["tumbling", "hopping", "session"] as const;
/** The most windows a hopping window puts one record in (size / advance): each is a store write. */
export const MAX_HOPS = 100;
export const DEFAULT_MAX_ITEMS = 100;
export const MAX_ITEMS = 10_000;
export const DEFAULT_MAX_WINDOWS = 100;
export const MAX_WINDOWS = 10_000;
/**
 * How far after the engine's clock an event time may lie. The stream time never goes back, so one
 * later record (a wrong year, microseconds read as milliseconds) would close its partition's windows for good.
 */
export const MAX_EVENT_TIME_AHEAD_MS = 24 * 60 * 60 * 1000;

function duration(description: string, allowZero = false) {
  return z
    .string({ error: 'a duration is text, like "30s" or "5m"' })
    .superRefine((s, ctx) => {
      const problem = durationProblem(s, allowZero);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .meta(meta(description, { placeholder: "5m" }));
}

/** Which fields each window type takes; the others are refused by name. */
const WINDOW_FIELDS: Record<(typeof WINDOW_TYPES)[number], { needs: readonly string[]; refuses: readonly string[] }> = {
  tumbling: { needs: ["size"], refuses: ["advance", "gap"] },
  hopping: { needs: ["size", "advance"], refuses: ["gap"] },
  session: { needs: ["gap"], refuses: ["size", "advance"] },
};

export const windowSchema = z
  .strictObject({
    type: z.enum(WINDOW_TYPES, { error: "window type is one of tumbling, hopping, session" }).meta(meta("tumbling: fixed, back to back; hopping: fixed, overlapping; session: per key, closed by a gap of inactivity.")),
    size: duration("Length of a tumbling or hopping window.").optional(),
    advance: duration("How far each hopping window starts after the previous one (at most size).").optional(),
    gap: duration("A session ends when its key has no record for this long.").optional(),
    grace: duration("How long after a window ends records for it are still taken (absent: 0s); later ones go to late.", true).optional(),
    maxPerKey: z
      .number()
      .int("maxPerKey is a whole number")
      .min(1, "maxPerKey is at least 1")
      .max(MAX_WINDOWS, `maxPerKey is at most ${MAX_WINDOWS}`)
      .default(DEFAULT_MAX_WINDOWS)
      .meta(meta("The most windows (or sessions) kept per key; beyond it the oldest is dropped.")),
  })
  .superRefine((w, ctx) => {
    const rule = WINDOW_FIELDS[w.type];
    for (const f of rule.needs) if ((w as Record<string, unknown>)[f] === undefined) ctx.addIssue({ code: "custom", path: [f], message: `a ${w.type} window needs ${f}` });
    for (const f of rule.refuses) if ((w as Record<string, unknown>)[f] !== undefined) ctx.addIssue({ code: "custom", path: [f], message: `a ${w.type} window has no ${f}` });
    if (w.type !== "hopping" || w.size === undefined || w.advance === undefined) return;
    const size = durationMs(w.size);
    const advance = durationMs(w.advance);
    if (!size || !advance) return; // the fields' own messages say why
    if (advance > size) ctx.addIssue({ code: "custom", path: ["advance"], message: "advance is at most size (windows would leave gaps)" });
    else if (size / advance > MAX_HOPS) ctx.addIssue({ code: "custom", path: ["advance"], message: `size / advance is at most ${MAX_HOPS} (each record goes to that many windows)` });
  });
export type WindowConfig = z.infer<typeof windowSchema>;

export const configSchema = z
  .strictObject({
    groupBy: expression("The group a record counts in (absent: the record's key).", { placeholder: "value.customerId" }).optional(),
    op: z.enum(AGGREGATE_OPS, { error: "op is one of count, sum, min, max, avg, latest, collect" }).optional().meta(meta("What to compute per group (or give initial and reduce instead).")),
    value: expression("What the op reads from each record (needed by sum, min, max, avg; latest and collect take the whole value without it).", { placeholder: "value.amount" }).optional(),
    initial: expression("Custom reducer: the state of a new group, evaluated against its first record.", { placeholder: "{ \"n\": 0, \"total\": 0 }" }).optional(),
    reduce: expression("Custom reducer: the next state, from state and { value, key, headers }.", { placeholder: "{ \"n\": state.n + 1, \"total\": state.total + value.amount }" }).optional(),
    maxItems: z
      .number()
      .int("maxItems is a whole number")
      .min(1, "maxItems is at least 1")
      .max(MAX_ITEMS, `maxItems is at most ${MAX_ITEMS}`)
      .default(DEFAULT_MAX_ITEMS)
      .meta(meta("collect keeps the last this many items per group.")),
    window: windowSchema.optional().meta(meta("Aggregate per window of event time (absent: one result per group, forever).")),
    timestamp: expression("Event time of a record: epoch milliseconds, or ISO-8601 text with its zone (absent: the record's Kafka timestamp).", { placeholder: "value.occurredAt" }).optional(),
    snapshotEvery: snapshotEvery.optional(),
  })
  .superRefine((c, ctx) => {
    const custom = c.initial !== undefined || c.reduce !== undefined;
    if (c.op === undefined && !custom) ctx.addIssue({ code: "custom", path: ["op"], message: "give op, or initial and reduce for a custom reducer" });
    if (c.op !== undefined && custom) ctx.addIssue({ code: "custom", path: [c.initial !== undefined ? "initial" : "reduce"], message: "give op or a custom reducer (initial and reduce), not both" });
    if (c.op === undefined && custom) {
      if (c.initial === undefined) ctx.addIssue({ code: "custom", path: ["initial"], message: "a custom reducer needs initial (the state of a new group) too" });
      if (c.reduce === undefined) ctx.addIssue({ code: "custom", path: ["reduce"], message: "a custom reducer needs reduce (the next state) too" });
      if (c.value !== undefined) ctx.addIssue({ code: "custom", path: ["value"], message: "value is for op; a custom reducer reads the record in reduce" });
      if (c.window?.type === "session") ctx.addIssue({ code: "custom", path: ["window", "type"], message: "a custom reducer cannot merge two sessions: use op, or a tumbling or hopping window" });
    }
    if (c.op !== undefined && NEEDS_VALUE.has(c.op) && c.value === undefined) ctx.addIssue({ code: "custom", path: ["value"], message: `op ${c.op} needs value (the expression giving the number, like value.amount)` });
    if (c.op === "count" && c.value !== undefined) ctx.addIssue({ code: "custom", path: ["value"], message: "op count counts records: it takes no value" });
    if (c.timestamp !== undefined && c.window === undefined) ctx.addIssue({ code: "custom", path: ["timestamp"], message: "timestamp is only used with a window" });
  });
export type AggregateConfig = z.infer<typeof configSchema>;

export const spec: ProcessorSpec<AggregateConfig> = {
  type: "aggregate",
  version: 1,
  kind: "transform",
  title: "Aggregate",
  description: "Folds the records of each group (and window) into a running result: count, sum, min, max, avg, latest, collect or your own reducer.",
  hasInput: true,
  configSchema,
  stateful: { rekeyBy: (c: AggregateConfig) => c?.groupBy },
  // counting reads keys only (the group is the record key here); a window's late port passes records on
  inputValues: (c: AggregateConfig) => (c?.op === "count" && c.window === undefined ? "none" : "read"),
  outputPorts: (c: AggregateConfig) => (c?.window ? ["success", "late", "failure"] : ["success", "failure"]),
  dynamicPorts: true,
  example: { groupBy: "value.customerId", op: "sum", value: "value.amount", maxItems: DEFAULT_MAX_ITEMS },
  docs: `Keeps one result per group — a table — and emits the group's new result on \`success\` after each
record, keyed by the group key. Records of a group are folded in their order.

- **groupBy**: expression giving the group (absent: the record's key). Strings are used as they are, other
  results JSON-encoded; no result or \`null\` → \`failure\`
- **op**: \`count\` (records), \`sum\`, \`min\`, \`max\`, \`avg\` (of the numbers **value** gives; anything but a
  finite number → \`failure\` naming what it got, the result unchanged), \`latest\` (the last **value**, default the
  record's value), \`collect\` (the last **maxItems** values, oldest first). \`avg\` of nothing is \`null\`
- or a custom reducer: **initial** (the state of a new group, evaluated against its first record) and
  **reduce**, evaluated against \`{ value, key, headers, state }\`: its result is the group's next state and
  the output. Example: \`initial\` \`{ "n": 0, "total": 0 }\`, \`reduce\` \`{ "n": state.n + 1, "total": state.total + value.amount }\`

The results live in a table like a \`table\` node's (a store per partition, a changelog), read by
\`millrace table get|scan\`; a \`groupBy\` repartitions the records by their group first.

**window** aggregates per window of event time (**timestamp**: epoch ms, or ISO-8601 text with its
zone like \`2026-12-06T05:00:00Z\`; absent: the record's Kafka timestamp, which the runtime carries through
its own topics; anything else → \`failure\`). An event time more than ${MAX_EVENT_TIME_AHEAD_MS / 3_600_000} hours after the engine's
clock → \`failure\` too: the stream time only moves forward, so one record from the far future (a wrong year,
microseconds taken for milliseconds) would close every window of its partition for good.
Durations are a whole number and a unit: \`500ms\`, \`30s\`, \`5m\`, \`2h\`, \`1d\` (at most 31 days).

- \`tumbling\` {**size**}: back-to-back windows \`[start, start + size)\`, aligned to the epoch
- \`hopping\` {**size**, **advance**}: windows starting every **advance**; a record is in each window covering
  it (size / advance at most ${MAX_HOPS})
- \`session\` {**gap**}: a key's records less than **gap** apart form one session; a record bridging two sessions
  merges them (not with a custom reducer)
- **grace** (default \`0s\`): a window takes records until the stream time (the latest event time seen) reaches
  its end + grace (a session: its last record + gap + grace, exclusive). A record whose windows are all closed
  goes to \`late\`, unchanged
- at most **maxPerKey** windows per key are kept; the oldest goes first

Windowed results carry the window in headers \`mr.window.start\` and \`mr.window.end\` (ISO-8601 UTC; end is
exclusive for tumbling and hopping, a session's last record for sessions) and the record's event time as their
timestamp. A session that a record extends or merges has its result under the old bounds deleted: a \`null\`
value with those bounds comes first. The stream time is per input partition and survives restarts. A key's
row in the table is its open windows (\`start\`, \`end\` in epoch ms, \`state\`); its closed ones leave the row
when the key gets its next record.`,
};
