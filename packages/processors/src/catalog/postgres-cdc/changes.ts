import type { MRecord } from "../../sdk.js";
import type { CapturedTable } from "./setup.js";

export type Op = "c" | "u" | "d" | "r";
type Row = Record<string, unknown>;

/** The transaction a change committed in (of the snapshot: the slot's starting point). */
export interface ChangeTx {
  /** commit LSN as text; of the snapshot: the slot's consistent point */
  lsn: string;
  lsnNumber: number;
  txId: number | null;
  /** commit time, ISO-8601 UTC with microseconds */
  commitTime: string;
}

/** Builds the record of one change in the chosen envelope. */
export type ChangeEncoder = (op: Op, before: Row | null, after: Row | null, table: CapturedTable, tx: ChangeTx) => MRecord;

/** `{"col":` and `,"col":` of each key column of a table, so a key is written without an object of its own. */
const keyPrefixes = new WeakMap<CapturedTable, string[]>();

/** The key: the primary key columns of the row as a JSON object (undefined: the table has none). */
function keyOf(table: CapturedTable, row: Row | null): string | undefined {
  if (!row || table.keyColumns.length === 0) return undefined;
  let prefixes = keyPrefixes.get(table);
  if (!prefixes) keyPrefixes.set(table, (prefixes = table.keyColumns.map((c, i) => `${i === 0 ? "{" : ","}${JSON.stringify(c)}:`)));
  let key = "";
  for (let i = 0; i < prefixes.length; i++) key += prefixes[i] + JSON.stringify(row[table.keyColumns[i]] ?? null);
  return key + "}";
}

export function millraceEncoder(): ChangeEncoder {
  return (op, before, after, table, tx) => ({
    key: keyOf(table, after ?? before),
    value: { op, before, after, source: { table: table.name, lsn: tx.lsn, txId: tx.txId, commitTime: tx.commitTime } },
    headers: {},
  });
}

/**
 * Debezium's Postgres connector's change event as its JSON converter writes it with schemas
 * disabled, so consumers written for it read these records unchanged.
 */
export function debeziumEncoder(serverName: string, database: string): ChangeEncoder {
  // a transaction's changes share its commit time: parsed once per transaction
  let commitOf: ChangeTx | undefined;
  let commitMs = 0;
  return (op, before, after, table, tx) => {
    if (tx !== commitOf) {
      commitOf = tx;
      commitMs = Date.parse(tx.commitTime);
    }
    return {
      key: keyOf(table, after ?? before),
      value: {
        before,
        after,
        source: {
          version: "millrace",
          connector: "postgresql",
          name: serverName,
          ts_ms: commitMs,
          snapshot: op === "r" ? "true" : "false",
          db: database,
          sequence: null,
          schema: table.schema,
          table: table.table,
          txId: tx.txId,
          lsn: tx.lsnNumber,
          xmin: null,
        },
        op,
        ts_ms: Date.now(),
        transaction: null,
      },
      headers: {},
    };
  };
}

/**
 * A commit time as the pgoutput parser gives it (microseconds since the Unix epoch: the parser has
 * already moved it from Postgres' 2000-01-01 epoch) as ISO-8601 UTC with its microseconds.
 */
export function pgTimeToIso(unixMicros: bigint): string {
  const ms = unixMicros / 1000n;
  const iso = new Date(Number(ms)).toISOString(); // …ss.mmmZ
  return `${iso.slice(0, -1)}${String(unixMicros % 1000n).padStart(3, "0")}Z`;
}
