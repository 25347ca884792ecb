import { createHash } from "node:crypto";
import type pg from "pg";
import { quoteIdent } from "../../pg-util.js";
import { OVERRIDES, type ColumnOverride, type TextParser } from "./values.js";

/** What the source knows of a captured table. */
export interface CapturedTable {
  /** `schema.table` as the server names them (unquoted), the form change messages carry */
  name: string;
  schema: string;
  table: string;
  /** the key's columns in key order: the primary key's or those chosen (empty: records have no key) */
  keyColumns: string[];
  hasPrimaryKey: boolean;
  /** the columns (in table order) when the table was looked up: what the snapshot selects */
  columns: string[];
  /** columns whose mapping the node's config sets (columnTypes) */
  overrides: Map<string, TextParser>;
  replicaIdentity: "default" | "nothing" | "full" | "index";
}

/**
 * The replication slot of a node: `mr_` + readable flow and node + a hash of both, lowercase,
 * within Postgres' 63 characters, so two nodes never share one and any id is a safe name.
 */
export function slotNameFor(flowId: string, nodeId: string): string {
  const clean = (s: string, n: number) => s.toLowerCase().replace(/[^a-z0-9]+/g, "_").slice(0, n);
  const hash = createHash("sha256").update(`${flowId}\u0000${nodeId}`).digest("hex").slice(0, 12);
  return `mr_${clean(flowId, 20)}_${clean(nodeId, 20)}_${hash}`;
}

/** Refuses a server without logical decoding, naming why (PGlite, wal_level). */
export async function checkServer(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ version: string; wal_level: string }>("SELECT version() AS version, current_setting('wal_level') AS wal_level");
  const { version, wal_level } = rows[0];
  if (/emscripten|wasm|pglite/i.test(version)) {
    throw new Error("postgres-cdc: this is the embedded Postgres (PGlite) of `pnpm start`, which has no logical replication: point the node at a Postgres server with wal_level=logical");
  }
  if (wal_level !== "logical") {
    throw new Error(`postgres-cdc: the server's wal_level is '${wal_level}'; change data capture needs wal_level=logical (postgresql.conf, then restart the server)`);
  }
}

/** Looks the tables up (each must exist), with their primary keys and replica identity. */
export async function describeTables(
  client: pg.Client,
  tables: readonly string[],
  keys: Readonly<Record<string, string[]>> = {},
  columnTypes: Readonly<Record<string, ColumnOverride>> = {},
): Promise<CapturedTable[]> {
  const out: CapturedTable[] = [];
  for (const name of tables) {
    const found = await client.query<{ schema: string; table: string; ident: string; keys: string[] | null }>(
      `SELECT n.nspname AS schema, c.relname AS table, c.relreplident AS ident,
              (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM pg_index i
                 CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                WHERE i.indrelid = c.oid AND i.indisprimary) AS keys
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p')`,
      [name],
    );
    if (!found.rows.length) throw new Error(`postgres-cdc: table ${name} does not exist (or is not a table) in the database the node connects to`);
    const r = found.rows[0];
    const ident = ({ d: "default", n: "nothing", f: "full", i: "index" } as const)[r.ident as "d" | "n" | "f" | "i"] ?? "default";
    const columns = (await client.query<{ name: string }>("SELECT attname::text AS name FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum", [name])).rows.map((c) => c.name);
    const known = new Set(columns);
    const chosen = keys[name];
    const unknownKeys = chosen?.filter((c) => !known.has(c)) ?? [];
    if (unknownKeys.length) throw new Error(`postgres-cdc: keys of ${name} name columns the table does not have: ${unknownKeys.join(", ")}`);
    const overrides = new Map<string, TextParser>();
    for (const [column, type] of Object.entries(columnTypes)) {
      const dot = column.lastIndexOf(".");
      if (column.slice(0, dot) !== name) continue;
      const col = column.slice(dot + 1);
      if (!known.has(col)) throw new Error(`postgres-cdc: columnTypes names ${column}, a column the table does not have`);
      overrides.set(col, OVERRIDES[type]);
    }
    out.push({ name: `${r.schema}.${r.table}`, schema: r.schema, table: r.table, keyColumns: chosen ?? r.keys ?? [], hasPrimaryKey: r.keys !== null, replicaIdentity: ident, columns, overrides });
  }
  return out;
}

/**
 * Makes sure the publication exists: an own one (named after the slot) is created for the tables
 * or set to exactly them; a named one must exist (the node never changes what others publish).
 */
export async function ensurePublication(client: pg.Client, name: string, own: boolean, tables: readonly CapturedTable[], insertsOnly = false): Promise<void> {
  const exists = (await client.query("SELECT 1 FROM pg_publication WHERE pubname = $1", [name])).rowCount! > 0;
  const list = tables.map((t) => `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`).join(", ");
  if (!own) {
    if (!exists) throw new Error(`postgres-cdc: publication ${name} does not exist; create it (CREATE PUBLICATION ${name} FOR TABLE ${list}) or leave 'publication' out to have one created`);
    return;
  }
  // an outbox's updates and deletes are never emitted: unpublished, the server neither decodes nor sends them
  const publish = insertsOnly ? "insert" : "insert, update, delete, truncate";
  if (exists) {
    await client.query(`ALTER PUBLICATION ${quoteIdent(name)} SET TABLE ${list}`);
    await client.query(`ALTER PUBLICATION ${quoteIdent(name)} SET (publish = '${publish}')`);
  } else await client.query(`CREATE PUBLICATION ${quoteIdent(name)} FOR TABLE ${list} WITH (publish = '${publish}')`);
}

/** The slot's confirmed position, or undefined when there is no such slot. Refuses a slot of another kind. */
export async function slotPosition(client: pg.Client, slot: string): Promise<string | null | undefined> {
  const { rows } = await client.query<{ plugin: string | null; database: string | null; confirmed: string | null; here: string }>(
    "SELECT plugin, database, confirmed_flush_lsn::text AS confirmed, current_database() AS here FROM pg_replication_slots WHERE slot_name = $1",
    [slot],
  );
  if (!rows.length) return undefined;
  const r = rows[0];
  if (r.plugin !== "pgoutput" || r.database !== r.here) throw new Error(`postgres-cdc: a replication slot ${slot} exists but is not a pgoutput slot of database ${r.here}: drop it or rename the node`);
  return r.confirmed;
}

export async function dropSlot(client: pg.Client, slot: string): Promise<void> {
  await client.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1", [slot]);
}

/** Slots named like this source's (`mr_…`) other than `own` that no connection reads, with the WAL each holds. */
export async function idleSlots(client: pg.Client, own: string): Promise<{ name: string; held: string }[]> {
  const { rows } = await client.query<{ name: string; held: string }>(
    `SELECT slot_name::text AS name, pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)) AS held
       FROM pg_replication_slots WHERE slot_name LIKE 'mr\\_%' AND slot_name <> $1 AND NOT active ORDER BY slot_name`,
    [own],
  );
  return rows;
}

/** A Millrace replication slot (`mr_…`) of a server, as `listSlots` reads it. */
export interface ReplicationSlotRow {
  name: string;
  /** the database it decodes */
  database: string | null;
  plugin: string | null;
  /** a connection reads it now */
  active: boolean;
  /** bytes of WAL the server keeps for it (from its restart position to now); null when it has none */
  retainedBytes: number | null;
  /** the position up to which its reader confirmed */
  confirmedLsn: string | null;
  /** reserved, extended, unreserved or lost (max_slot_wal_keep_size) */
  walStatus: string | null;
}

/** Every slot named like those postgres-cdc makes (`mr_…`), on the whole server, with the WAL each keeps. */
export async function listSlots(client: Pick<pg.ClientBase, "query">): Promise<ReplicationSlotRow[]> {
  const { rows } = await client.query<{ name: string; database: string | null; plugin: string | null; active: boolean; retained: string | null; confirmed: string | null; wal_status: string | null }>(
    `SELECT slot_name::text AS name, database::text AS database, plugin::text AS plugin, active,
            pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint::text AS retained,
            confirmed_flush_lsn::text AS confirmed, wal_status
       FROM pg_replication_slots WHERE slot_name LIKE 'mr\\_%' ORDER BY slot_name`,
  );
  return rows.map((r) => ({ name: r.name, database: r.database, plugin: r.plugin, active: r.active, retainedBytes: r.retained === null ? null : Number(r.retained), confirmedLsn: r.confirmed, walStatus: r.wal_status }));
}
