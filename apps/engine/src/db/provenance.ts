import type pg from "pg";
import { join, query, raw, sql, type Queryable, type Sql } from "./sql.js";

/** Marks the rows written by the replay API (their topic/offsets say where the copies went). */
export const REPLAY_STAGE = "#replay";

/** A provenance_batch row as the lineage code reads it (ids restored from input_ids / output_ids when present). */
export interface BatchRow {
  id: string;
  flow_id: string;
  deployment_id: string | null;
  stage_id: string | null;
  node_id: string;
  node_type: string | null;
  from_node: string | null;
  seq: number;
  at_ms: number;
  topic: string | null;
  partition: number | null;
  first_offset: string | null;
  in_offsets: string[] | null;
  in_ids: string[] | null;
  in_events: string;
  out_ids: string[] | null;
  out_parents: number[] | null;
  out_ports: string[] | null;
  out_events: string;
  port_topics: Record<string, string[]> | null;
  /** runs "j,partition,offset,count,..." of where outputs went (see provenance/recorder.ts), null for rows without */
  out_locs: string | null;
}

/**
 * The columns of the recorder's rows, one array per column, each with one entry per row, in this
 * order: flow, deployment, stage, node, node type, from node, seq, at (ms), duration (ms), topic,
 * partition, first offset, last offset, in_offsets (","-joined), in_ids keys, input ids, in_events,
 * out_ids keys, output ids, out_parents (","-joined), out_ports, out_events, port_topics (JSON),
 * out_locs. Id lists are packed as one text each, joined by \x1f.
 */
export type BatchColumns = (string | number | null)[][];

/** A REPLAY row: the copies the replay API sent, where they went, and their parents. */
export interface ReplayRow {
  flowId: string;
  deploymentId: string;
  engineId: string;
  nodeId: string;
  nodeType: string | null;
  fromNode: string | null;
  topic: string;
  partition: number;
  firstOffset: string;
  lastOffset: string;
  /** only when the offsets are not contiguous */
  offsets: string[] | null;
  parentIds: string[];
  inEvents: string;
  recordIds: string[];
  /** null: all "success" */
  ports: string[] | null;
  outEvents: string;
  portTopics: string;
}

const COLS = raw(`id::text AS id, flow_id, deployment_id, stage_id, node_id, node_type, from_node, seq, (extract(epoch from at) * 1000)::float8 AS at_ms,
  topic, partition, first_offset::text AS first_offset, in_offsets::text[] AS in_offsets, COALESCE(input_ids, in_ids) AS in_ids, in_events, COALESCE(output_ids, out_ids) AS out_ids, out_parents,
  out_ports, out_events, port_topics, out_locs`);

/** Rows whose in_ids or out_ids (GIN, lookup keys) hold one of `keys`. */
const byKeys = (keys: string[]) => sql`in_ids && ${keys}::text[] OR out_ids && ${keys}::text[]`;

/**
 * Provenance rows (table provenance_batch, see provenance/README.md) on a pg pool of their own:
 * the recorder's bulk INSERTs, the replay API's REPLAY rows, and the lookups lineage is made of.
 * The statements are tuned against the table's indexes; change them with bench/micro/provenance-recorder.bench.ts at hand.
 */
export class ProvenanceRepository {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Writes many node-batch rows in ONE statement: 24 array parameters unnested by Postgres, the id
   * lists split again by string_to_array (far cheaper than a parameter per id).
   */
  async insertBatches(c: BatchColumns, engineId: string): Promise<void> {
    await query(
      this.pool,
      sql`
INSERT INTO provenance_batch (flow_id, deployment_id, stage_id, node_id, node_type, from_node, seq, at, duration_ms,
  topic, partition, first_offset, last_offset, in_offsets, in_ids, input_ids, in_events, out_ids, output_ids, out_parents, out_ports, out_events, port_topics, out_locs, engine_id)
SELECT f, d, s, n, nt, fn, seq, to_timestamp(at / 1000.0), dur,
  t, p, fo::bigint, lo::bigint, string_to_array(io, ',')::bigint[], string_to_array(ik, E'\\x1f'), string_to_array(ii, E'\\x1f'), ie,
  string_to_array(ok, E'\\x1f'), string_to_array(oi, E'\\x1f'), string_to_array(op, ',')::int[], string_to_array(opt, E'\\x1f'), oe, pt::jsonb, ol, ${engineId}
FROM unnest(${c[0]}::text[], ${c[1]}::text[], ${c[2]}::text[], ${c[3]}::text[], ${c[4]}::text[], ${c[5]}::text[], ${c[6]}::int[], ${c[7]}::float8[], ${c[8]}::int[],
  ${c[9]}::text[], ${c[10]}::int[], ${c[11]}::text[], ${c[12]}::text[], ${c[13]}::text[], ${c[14]}::text[], ${c[15]}::text[], ${c[16]}::text[], ${c[17]}::text[], ${c[18]}::text[], ${c[19]}::text[], ${c[20]}::text[],
  ${c[21]}::text[], ${c[22]}::text[], ${c[23]}::text[])
  AS u(f, d, s, n, nt, fn, seq, at, dur, t, p, fo, lo, io, ik, ii, ie, ok, oi, op, opt, oe, pt, ol)`,
    );
  }

  async insertReplay(r: ReplayRow): Promise<void> {
    await query(
      this.pool,
      sql`INSERT INTO provenance_batch (flow_id, deployment_id, engine_id, stage_id, node_id, node_type, from_node, seq, at, duration_ms, topic, partition,
         first_offset, last_offset, in_offsets, in_ids, in_events, out_ids, out_parents, out_ports, out_events, port_topics)
       VALUES (${r.flowId}, ${r.deploymentId}, ${r.engineId}, ${REPLAY_STAGE}, ${r.nodeId}, ${r.nodeType}, ${r.fromNode}, 0, now(), 0, ${r.topic}, ${r.partition},
         ${r.firstOffset}::bigint, ${r.lastOffset}::bigint, ${r.offsets}::bigint[], ${r.parentIds}::text[], ${r.inEvents}, ${r.recordIds}::text[], NULL, ${r.ports}::text[], ${r.outEvents}, ${r.portTopics}::jsonb)`,
    );
  }

  /** Candidate rows that created or read (other than by position) an id with one of these lookup keys (GIN). */
  async withKeys(keys: string[]): Promise<BatchRow[]> {
    return (await query<BatchRow>(this.pool, sql`SELECT ${COLS} FROM provenance_batch WHERE ${byKeys(keys)}`)).rows;
  }

  /** The newest 50 of those (enough to tell whether a record is known at all). */
  async latestWithKeys(keys: string[]): Promise<BatchRow[]> {
    return (await query<BatchRow>(this.pool, sql`SELECT ${COLS} FROM provenance_batch WHERE ${byKeys(keys)} ORDER BY at DESC LIMIT 50`)).rows;
  }

  /** Candidate rows that read an id with one of these lookup keys from a Kafka topic (not replay rows), oldest first. */
  async readingWithKeys(keys: string[]): Promise<BatchRow[]> {
    return (
      await query<BatchRow>(this.pool, sql`SELECT ${COLS} FROM provenance_batch WHERE in_ids && ${keys}::text[] AND topic IS NOT NULL AND stage_id IS DISTINCT FROM ${REPLAY_STAGE} ORDER BY at, id`)
    ).rows;
  }

  /**
   * Rows that read one of the positions (topics[i], partitions[i], offsets[i]) by Kafka position
   * (no lookup keys: in_ids NULL): per reading node (a skip scan over the btree on topic,
   * partition, node_id, first_offset), the few rows with the greatest first_offset <= the offset
   * (more than one only after at-least-once redelivery), of which those whose slice reaches the offset.
   */
  async readAt(topics: string[], partitions: number[], offsets: string[]): Promise<BatchRow[]> {
    const q = sql`
SELECT ${COLS} FROM provenance_batch WHERE id IN (
  SELECT r.id FROM (SELECT DISTINCT t, p, o FROM unnest(${topics}::text[], ${partitions}::int[], ${offsets}::bigint[]) AS u(t, p, o)) AS l
  CROSS JOIN LATERAL (
    WITH RECURSIVE n(node) AS (
      (SELECT node_id FROM provenance_batch WHERE topic = l.t AND partition = l.p ORDER BY node_id LIMIT 1)
      UNION ALL
      SELECT (SELECT node_id FROM provenance_batch WHERE topic = l.t AND partition = l.p AND node_id > n.node ORDER BY node_id LIMIT 1)
      FROM n WHERE n.node IS NOT NULL
    )
    SELECT node FROM n WHERE node IS NOT NULL
  ) AS readers
  CROSS JOIN LATERAL (
    SELECT id, last_offset FROM provenance_batch
    WHERE topic = l.t AND partition = l.p AND node_id = readers.node AND first_offset <= l.o AND in_ids IS NULL
    ORDER BY first_offset DESC LIMIT 8
  ) AS r
  WHERE r.last_offset >= l.o
)`;
    return (await query<BatchRow>(this.pool, q)).rows;
  }

  /** 50 rows of a flow (optionally one node, a time range [from, to)), newest first, before `cursor` when given. */
  async page(q: { flowId: string; nodeId?: string; from?: number; to?: number }, cursor?: { at: number; seq: number; id: string }): Promise<BatchRow[]> {
    const where: Sql[] = [sql`flow_id = ${q.flowId}`];
    if (q.nodeId !== undefined) where.push(sql`node_id = ${q.nodeId}`);
    if (q.from !== undefined) where.push(sql`at >= ${new Date(q.from)}`);
    if (q.to !== undefined) where.push(sql`at < ${new Date(q.to)}`);
    if (cursor) where.push(sql`(at, seq, id) < (${new Date(cursor.at)}::timestamptz, ${cursor.seq}::int, ${cursor.id}::bigint)`);
    return (await query<BatchRow>(this.pool, sql`SELECT ${COLS} FROM provenance_batch WHERE ${join(where, " AND ")} ORDER BY at DESC, seq DESC, id DESC LIMIT 50`)).rows;
  }

  /** When the oldest partition kept started taking rows (ms): lineage reaches back that far at most; null without partitions. */
  async oldestKept(): Promise<number | null> {
    const r = await query<{ ms: number | null }>(this.pool, sql`SELECT (extract(epoch from min(created_at)) * 1000)::float8 AS ms FROM provenance_part`);
    return r.rows[0]?.ms ?? null;
  }

  /** The partitions of provenance_batch (migration 0011), oldest first, with their size on disk. */
  partitions(): Promise<ProvenancePartition[]> {
    return listPartitions(this.pool);
  }

  /**
   * Keeps provenance within its bounds in one transaction that only one engine at a time runs (a
   * transaction-scoped advisory lock; another engine busy with it makes this call a no-op): starts
   * the next partition when `decide` says so, then drops the partitions `decide` names. Dropping a
   * partition removes its files at once: no DELETE, no VACUUM. Its DDL waits at most `lockTimeoutMs`
   * for a long lineage query to finish, then gives up until the next call.
   */
  async maintainPartitions(
    decide: (parts: ProvenancePartition[], now: number) => { roll: boolean; drop: number[] },
    lockTimeoutMs = 2000,
  ): Promise<{ ran: boolean; rolledTo?: number; dropped: ProvenancePartition[]; parts: ProvenancePartition[] }> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      try {
        const locked = (await query<{ ok: boolean }>(client, sql`SELECT pg_try_advisory_xact_lock(${PARTITIONS_LOCK}) AS ok`)).rows[0]!.ok;
        if (!locked) {
          await client.query("ROLLBACK");
          return { ran: false, dropped: [], parts: [] };
        }
        await query(client, sql`SELECT set_config('lock_timeout', ${String(lockTimeoutMs)}, true)`);
        const parts = await listPartitions(client);
        const now = (await query<{ ms: number }>(client, sql`SELECT (extract(epoch from now()) * 1000)::float8 AS ms`)).rows[0]!.ms;
        const { roll, drop } = decide(parts, now);
        let rolledTo: number | undefined;
        if (roll) {
          rolledTo = (parts.at(-1)?.part ?? 0) + 1;
          const name = raw(`provenance_batch_${rolledTo}`);
          await query(client, sql`CREATE TABLE ${name} PARTITION OF provenance_batch FOR VALUES FROM (${raw(String(rolledTo))}) TO (${raw(String(rolledTo + 1))})`);
          // a partition starts with default statistics targets: none for the arrays (see migration 0005)
          await query(client, sql`ALTER TABLE ${name} ${raw(NO_STATISTICS.map((c) => `ALTER COLUMN ${c} SET STATISTICS 0`).join(", "))}`);
          await query(client, sql`INSERT INTO provenance_part (part) VALUES (${rolledTo})`);
        }
        const dropped: ProvenancePartition[] = [];
        for (const part of drop) {
          const p = parts.find((x) => x.part === part);
          // never the partition rows go to now
          if (!p || part === (rolledTo ?? parts.at(-1)!.part)) continue;
          await query(client, sql`DROP TABLE IF EXISTS ${raw(`provenance_batch_${part}`)}`);
          await query(client, sql`DELETE FROM provenance_part WHERE part = ${part}`);
          dropped.push(p);
        }
        await client.query("COMMIT");
        return { ran: true, rolledTo, dropped, parts };
      } catch (e) {
        await client.query("ROLLBACK").catch(() => {});
        throw e;
      }
    } finally {
      client.release();
    }
  }
}

async function listPartitions(on: Queryable): Promise<ProvenancePartition[]> {
  const r = await query<{ part: number; created_ms: number; bytes: string; has_rows: boolean }>(
    on,
    sql`SELECT part, (extract(epoch from created_at) * 1000)::float8 AS created_ms,
          coalesce(pg_total_relation_size(to_regclass(format('provenance_batch_%s', part))), 0)::text AS bytes,
          EXISTS (SELECT 1 FROM provenance_batch b WHERE b.part = p.part) AS has_rows
        FROM provenance_part p ORDER BY part`,
  );
  return r.rows.map((x) => ({ part: x.part, createdAt: x.created_ms, bytes: Number(x.bytes), hasRows: x.has_rows }));
}

/** A partition of provenance_batch. */
export interface ProvenancePartition {
  part: number;
  hasRows: boolean;
  /** when rows started to go to it (ms); the partition after it started when this one stopped taking rows */
  createdAt: number;
  /** table, TOAST and indexes */
  bytes: number;
}

/** Any constant works: it keeps two engines from rolling or dropping partitions at once. */
const PARTITIONS_LOCK = 7_316_013;
const NO_STATISTICS = ["in_ids", "out_ids", "input_ids", "output_ids", "in_offsets", "out_parents", "out_ports"];
