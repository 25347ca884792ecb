import { createHash } from "node:crypto";
import type pg from "pg";
import type { StoreValue } from "../state/store.js";
import { query, sql, type Queryable } from "./sql.js";

/** Where a snapshot's rows are: in table_snapshot_row, or in a JSON-lines file on the engine that wrote it. */
export type SnapshotTarget = "postgres" | "file";

/** Per input partition (as text, JSON's only key type): the next changelog offset the snapshot's rows do not reflect. */
export type SnapshotOffsets = Record<string, number>;

/** Per input partition (as text): how many rows the snapshot holds of it. */
export type SnapshotPartitionRows = Record<string, number>;

export interface NewTableSnapshot {
  flowId: string;
  nodeId: string;
  deploymentId: string;
  version: number;
  target: SnapshotTarget;
  filePath: string | null;
  offsets: SnapshotOffsets;
  /** when `offsets` were read from the changelog (the snapshot's age for its tombstones) */
  offsetsAt: Date;
  /** a user's name, or "schedule" */
  takenBy: string;
  engineId: string;
}

export interface TableSnapshotRecord extends NewTableSnapshot {
  id: string;
  rowCount: number;
  partitionRows: SnapshotPartitionRows;
  bytes: number;
  takenAt: Date;
  ms: number;
}

export interface SnapshotRow {
  partition: number;
  key: string;
  value: StoreValue;
}

export interface SnapshotTotals {
  rowCount: number;
  partitionRows: SnapshotPartitionRows;
  bytes: number;
}

/** Adds rows to the snapshot being saved (inside its transaction). */
export type InsertSnapshotRows = (rows: readonly SnapshotRow[]) => Promise<void>;

interface SnapshotDbRow {
  id: string;
  flow_id: string;
  node_id: string;
  deployment_id: string;
  version: number;
  target: SnapshotTarget;
  file_path: string | null;
  offsets: SnapshotOffsets;
  offsets_at: Date;
  row_count: number;
  partition_rows: SnapshotPartitionRows;
  bytes: string;
  taken_by: string;
  engine_id: string;
  taken_at: Date;
  ms: number;
}

const COLUMNS = sql`id, flow_id, node_id, deployment_id, version, target, file_path, offsets, offsets_at, row_count, partition_rows, bytes, taken_by, engine_id, taken_at, ms`;

function toRecord(r: SnapshotDbRow): TableSnapshotRecord {
  return {
    id: String(r.id),
    flowId: r.flow_id,
    nodeId: r.node_id,
    deploymentId: r.deployment_id,
    version: r.version,
    target: r.target,
    filePath: r.file_path,
    offsets: r.offsets,
    offsetsAt: r.offsets_at,
    rowCount: r.row_count,
    partitionRows: r.partition_rows,
    bytes: Number(r.bytes),
    takenBy: r.taken_by,
    engineId: r.engine_id,
    takenAt: r.taken_at,
    ms: r.ms,
  };
}

/** The session advisory-lock key of one node's snapshots (apart from the leases' keys by its prefix). */
function snapshotLockKey(flowId: string, nodeId: string): string {
  return createHash("sha256").update(`millrace-table-snapshot:${flowId}\u0000${nodeId}`).digest().readBigInt64BE(0).toString();
}

/**
 * table_snapshot and table_snapshot_row. On a pool of its own: a snapshot holds one connection for
 * its lock and one for its transaction while it reads the changelog, which must never leave the
 * API or provenance waiting.
 */
export class TableSnapshotRepository {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Runs `fn` while this engine holds the node's snapshot lock (a session advisory lock, freed by
   * Postgres if the engine dies); `{ ran: false }` without running it when another session holds it.
   */
  async withNodeLock<T>(flowId: string, nodeId: string, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    const key = snapshotLockKey(flowId, nodeId);
    const client = await this.pool.connect();
    try {
      const got = await query<{ ok: boolean }>(client, sql`SELECT pg_try_advisory_lock(${key}::bigint) AS ok`);
      if (got.rows[0]?.ok !== true) return { ran: false };
      try {
        return { ran: true, value: await fn() };
      } finally {
        await query(client, sql`SELECT pg_advisory_unlock(${key}::bigint)`).catch(() => {});
      }
    } finally {
      client.release();
    }
  }

  /**
   * Saves a snapshot in one transaction: its row, the rows `fill` inserts, its totals, and the
   * deletion of the node's snapshots of the same target beyond the newest `keep` (returned, so
   * their files can go): file snapshots never push out the Postgres ones an engine starts from.
   * A `fill` that throws leaves nothing behind.
   */
  async save(
    snapshot: NewTableSnapshot,
    fill: (insert: InsertSnapshotRows) => Promise<SnapshotTotals>,
    keep: number,
  ): Promise<{ snapshot: TableSnapshotRecord; pruned: TableSnapshotRecord[] }> {
    const started = Date.now();
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const s = snapshot;
      const [made] = (
        await query<{ id: string }>(
          client,
          sql`INSERT INTO table_snapshot (flow_id, node_id, deployment_id, version, target, file_path, offsets, offsets_at, row_count, partition_rows, bytes, taken_by, engine_id, ms)
              VALUES (${s.flowId}, ${s.nodeId}, ${s.deploymentId}, ${s.version}, ${s.target}, ${s.filePath}, ${JSON.stringify(s.offsets)}::jsonb, ${s.offsetsAt}, 0, '{}'::jsonb, 0, ${s.takenBy}, ${s.engineId}, 0)
              RETURNING id`,
        )
      ).rows;
      const id = made!.id;
      const totals = await fill((rows) => insertRows(client, id, rows));
      const [saved] = (
        await query<SnapshotDbRow>(
          client,
          sql`UPDATE table_snapshot SET row_count = ${totals.rowCount}, partition_rows = ${JSON.stringify(totals.partitionRows)}::jsonb, bytes = ${totals.bytes}, ms = ${Date.now() - started} WHERE id = ${id} RETURNING ${COLUMNS}`,
        )
      ).rows;
      const pruned = (
        await query<SnapshotDbRow>(
          client,
          sql`DELETE FROM table_snapshot WHERE id IN (
                SELECT id FROM table_snapshot WHERE flow_id = ${s.flowId} AND node_id = ${s.nodeId} AND target = ${s.target}
                ORDER BY taken_at DESC, id DESC OFFSET ${keep})
              RETURNING ${COLUMNS}`,
        )
      ).rows;
      await client.query("COMMIT");
      return { snapshot: toRecord(saved!), pruned: pruned.map(toRecord) };
    } catch (e) {
      await client.query("ROLLBACK").catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }

  /** A node's snapshots, newest first. */
  async list(flowId: string, nodeId: string, limit = 20): Promise<TableSnapshotRecord[]> {
    const r = await query<SnapshotDbRow>(this.pool, sql`SELECT ${COLUMNS} FROM table_snapshot WHERE flow_id = ${flowId} AND node_id = ${nodeId} ORDER BY taken_at DESC, id DESC LIMIT ${limit}`);
    return r.rows.map(toRecord);
  }

  /** The node's newest snapshot written to Postgres (the one an engine can start from, wherever it runs). */
  async latestInPostgres(flowId: string, nodeId: string): Promise<TableSnapshotRecord | undefined> {
    const r = await query<SnapshotDbRow>(
      this.pool,
      sql`SELECT ${COLUMNS} FROM table_snapshot WHERE flow_id = ${flowId} AND node_id = ${nodeId} AND target = 'postgres' ORDER BY taken_at DESC, id DESC LIMIT 1`,
    );
    return r.rows[0] && toRecord(r.rows[0]);
  }

  /**
   * Runs `read` on one partition's rows of a snapshot, pages in key order `limit` at a time after
   * `after` (exclusive), all in one REPEATABLE READ transaction: a snapshot pruned meanwhile (its
   * rows deleted with it) is read whole or, pruned before, not at all; never in part.
   */
  async rows<T>(snapshotId: string, partition: number, read: (pages: (after: string | undefined, limit: number) => Promise<{ key: string; value: StoreValue }[]>) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const value = await read((after, limit) => rowsPage(client, snapshotId, partition, after, limit));
      await client.query("COMMIT");
      return value;
    } catch (e) {
      await client.query("ROLLBACK").catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }
}

async function rowsPage(on: Queryable, snapshotId: string, partition: number, after: string | undefined, limit: number): Promise<{ key: string; value: StoreValue }[]> {
  const from = after === undefined ? sql`` : sql`AND key > ${Buffer.from(after, "utf8")}`;
  const r = await query<{ key: Buffer; value: string }>(on, sql`SELECT key, value FROM table_snapshot_row WHERE snapshot_id = ${snapshotId} AND partition = ${partition} ${from} ORDER BY key LIMIT ${limit}`);
  const out = new Array<{ key: string; value: StoreValue }>(r.rows.length);
  for (let i = 0; i < r.rows.length; i++) {
    const row = r.rows[i]!;
    out[i] = { key: row.key.toString("utf8"), value: JSON.parse(row.value) as StoreValue };
  }
  return out;
}

/** Keys as UTF-8 bytes and values as JSON text: text and jsonb refuse U+0000, which binary Kafka keys and values can hold. */
async function insertRows(on: Queryable, snapshotId: string, rows: readonly SnapshotRow[]): Promise<void> {
  if (!rows.length) return;
  const partitions = new Array<number>(rows.length);
  const keys = new Array<Buffer>(rows.length);
  const values = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    partitions[i] = r.partition;
    keys[i] = Buffer.from(r.key, "utf8");
    values[i] = JSON.stringify(r.value);
  }
  await query(
    on,
    sql`INSERT INTO table_snapshot_row (snapshot_id, partition, key, value)
        SELECT ${snapshotId}::bigint, p, k, v FROM unnest(${partitions}::int[], ${keys}::bytea[], ${values}::text[]) AS t(p, k, v)`,
  );
}
