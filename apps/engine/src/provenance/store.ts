import type pg from "pg";
import { eventOfCode, NO_EVENT, type EventType } from "./events.js";
import { inputKey, SAME } from "./recorder.js";

/** Marks the rows written by the replay API (their topic/offsets say where the copies went). */
export const REPLAY_STAGE = "#replay";

/** One provenance event: what happened to one record at one node. */
export interface ProvenanceEvent {
  /** stable id of the event: `<row id>.o<output index>` or `<row id>.i<input index>` */
  id: string;
  recordId: string;
  /** lineage ids of the record's parents (empty for a created record) */
  parentIds: string[];
  flowId: string;
  nodeId: string;
  nodeType: string | null;
  type: EventType;
  /** ms since epoch (the start of the batch) */
  at: number;
  /** output port (output events) */
  port: string | null;
  /** where the record is in Kafka, when known: the edge topic it was read from downstream, the topic it was read from (DROP), or where a replay wrote it */
  topic: string | null;
  partition: number | null;
  offset: string | null;
}

export interface LineageGraph {
  recordId: string;
  nodes: ProvenanceEvent[];
  links: { from: string; to: string }[];
  /** the walk stopped at `maxEvents` */
  truncated: boolean;
}

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
  /** runs "j,partition,offset,count,..." of where outputs went (see recorder.ts), null for rows without */
  out_locs: string | null;
}

const COLS = `id::text AS id, flow_id, deployment_id, stage_id, node_id, node_type, from_node, seq, (extract(epoch from at) * 1000)::float8 AS at_ms,
  topic, partition, first_offset::text AS first_offset, in_offsets::text[] AS in_offsets, COALESCE(input_ids, in_ids) AS in_ids, in_events, COALESCE(output_ids, out_ids) AS out_ids, out_parents,
  out_ports, out_events, port_topics, out_locs`;

/**
 * The rows that may hold one of the record ids (GIN): where it was created (out_ids), or read
 * other than from a position its writer recorded (in_ids). Both hold lookup keys (see inputKey;
 * rows from before migration 0005: the ids themselves), so $1 is the ids and their keys, and the
 * rows found are candidates: check with `holds`.
 */
const BY_ID = `in_ids && $1::text[] OR out_ids && $1::text[]`;
const byIdParams = (ids: string[]) => [[...new Set([...ids, ...ids.map(inputKey)])]];

/** Does the row hold one of `ids` as an input or output? */
function holds(r: BatchRow, ids: Set<string>): boolean {
  for (const id of r.in_ids ?? []) if (ids.has(id)) return true;
  for (const id of r.out_ids ?? []) if (ids.has(id)) return true;
  return false;
}

/**
 * Rows that read one of the positions ($1 topics, $2 partitions, $3 offsets) by Kafka position
 * (no lookup keys: in_ids NULL): per reading node (a skip scan over the btree on topic, partition, node_id,
 * first_offset), the few rows with the greatest first_offset <= the offset (more than one only
 * after at-least-once redelivery), of which those whose slice reaches the offset.
 */
const BY_POSITION = `
SELECT ${COLS} FROM provenance_batch WHERE id IN (
  SELECT r.id FROM (SELECT DISTINCT t, p, o FROM unnest($1::text[], $2::int[], $3::bigint[]) AS u(t, p, o)) AS l
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

/** One output's place in Kafka (its port's first topic). */
export interface Position {
  topic: string;
  partition: number;
  offset: string;
}

/** Where output `j` of `r` was written, when the row knows (out_locs; a replay row's slice). */
export function outputPosition(r: BatchRow, j: number): Position | undefined {
  if (r.stage_id === REPLAY_STAGE) {
    const offset = r.topic !== null && r.partition !== null ? inputOffset(r, j) : null;
    return offset === null ? undefined : { topic: r.topic!, partition: r.partition!, offset };
  }
  const runs = locRuns(r);
  if (!runs) return undefined;
  for (let k = 0; k < runs.length; k += 4) {
    const first = runs[k]!;
    const n = runs[k + 3]!;
    if (j < first || j >= first + n) continue;
    const topic = r.port_topics?.[portOf(r, j)]?.[0];
    if (topic === undefined) return undefined;
    return { topic, partition: runs[k + 1]!, offset: String(runs[k + 2]! + (j - first)) };
  }
  return undefined;
}

const parsedLocs = new WeakMap<BatchRow, number[]>();
function locRuns(r: BatchRow): number[] | undefined {
  if (!r.out_locs) return undefined;
  let runs = parsedLocs.get(r);
  if (!runs) parsedLocs.set(r, (runs = r.out_locs.split(",").map(Number)));
  return runs;
}

/** The index of the input read at `offset` in row `r` (-1: not in its slice). */
function inputIndexAt(r: BatchRow, offset: string): number {
  if (r.in_offsets) return r.in_offsets.indexOf(offset);
  if (r.first_offset === null) return -1;
  const i = Number(BigInt(offset) - BigInt(r.first_offset));
  return i >= 0 && i < (r.in_ids?.length ?? 0) ? i : -1;
}

export function inputOffset(r: Pick<BatchRow, "first_offset" | "in_offsets">, i: number): string | null {
  if (r.in_offsets) return r.in_offsets[i] ?? null;
  if (r.first_offset === null) return null;
  return (BigInt(r.first_offset) + BigInt(i)).toString();
}

/** The writer stores "=" for an output passed on unchanged (its id is its input's): put the id back. */
function restore(r: BatchRow): BatchRow {
  const out = r.out_ids;
  if (!out) return r;
  for (let j = 0; j < out.length; j++) {
    if (out[j] !== SAME) continue;
    const p = r.out_parents ? r.out_parents[j]! : j;
    if (p >= 0) out[j] = r.in_ids?.[p] ?? "";
  }
  return r;
}

function parentIndex(r: BatchRow, j: number): number {
  return r.out_parents ? r.out_parents[j]! : j;
}

function portOf(r: BatchRow, j: number): string {
  return r.out_ports ? r.out_ports[j]! : "success";
}

function outputEvent(r: BatchRow, j: number): ProvenanceEvent {
  const p = parentIndex(r, j);
  const parent = p >= 0 ? r.in_ids?.[p] : undefined;
  const type = eventOfCode(r.out_events[j] ?? "") ?? "MODIFY";
  const replay = r.stage_id === REPLAY_STAGE;
  const port = portOf(r, j);
  const pos = replay ? undefined : outputPosition(r, j);
  return {
    id: `${r.id}.o${j}`,
    recordId: r.out_ids![j]!,
    // a record passed on unchanged (ROUTE, SEND of the same record) has no new parent here
    parentIds: parent !== undefined && parent !== r.out_ids![j] ? [parent] : [],
    flowId: r.flow_id,
    nodeId: r.node_id,
    nodeType: r.node_type,
    type,
    at: r.at_ms,
    port,
    // a replay row's slice is where the copies went; other outputs: where the runtime wrote them
    // (out_locs), else (rows written before out_locs) located later, where they were read
    topic: replay ? r.topic : (pos?.topic ?? r.port_topics?.[port]?.[0] ?? null),
    partition: replay ? r.partition : (pos?.partition ?? null),
    offset: replay ? inputOffset(r, j) : (pos?.offset ?? null),
  };
}

function inputEvent(r: BatchRow, i: number): ProvenanceEvent | undefined {
  const c = r.in_events[i];
  if (c === undefined || c === NO_EVENT) return undefined;
  return {
    id: `${r.id}.i${i}`,
    recordId: r.in_ids![i]!,
    parentIds: [],
    flowId: r.flow_id,
    nodeId: r.node_id,
    nodeType: r.node_type,
    type: eventOfCode(c) ?? "DROP",
    at: r.at_ms,
    port: null,
    topic: r.stage_id === REPLAY_STAGE ? null : r.topic,
    partition: r.stage_id === REPLAY_STAGE ? null : r.partition,
    offset: r.stage_id === REPLAY_STAGE ? null : inputOffset(r, i),
  };
}

/** Where a record was read from Kafka by the node(s) downstream of `writer`. */
export interface Location {
  topic: string;
  partition: number;
  offset: string;
  /** the node that read it, and the node that wrote the topic */
  nodeId: string;
  fromNode: string | null;
  flowId: string;
  at: number;
}

export class ProvenanceStore {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Rows whose inputs or outputs hold one of `ids`: those found by id (GIN: where a record was
   * created, or read other than from a position its writer recorded), then, hop by hop, the rows
   * that read it where those rows wrote it (by Kafka position), until no new row turns up.
   */
  private async rowsWith(ids: string[]): Promise<BatchRow[]> {
    const want = new Set(ids);
    const found = new Map<string, BatchRow>();
    let frontier = (await this.pool.query<BatchRow>(`SELECT ${COLS} FROM provenance_batch WHERE ${BY_ID}`, byIdParams(ids))).rows.map(restore).filter((r) => holds(r, want));
    for (const row of frontier) found.set(row.id, row);
    for (let hop = 0; frontier.length && hop < 64; hop++) {
      // where the rows found last wrote one of the ids
      const at = new Map<string, string>(); // "topic\0partition\0offset" → id
      for (const row of frontier) {
        const out = row.out_ids ?? [];
        for (let j = 0; j < out.length; j++) {
          if (!want.has(out[j]!)) continue;
          const pos = outputPosition(row, j);
          if (pos) at.set(`${pos.topic}\0${pos.partition}\0${pos.offset}`, out[j]!);
        }
      }
      if (!at.size) break;
      const ts: string[] = [];
      const ps: number[] = [];
      const os: string[] = [];
      for (const k of at.keys()) {
        const [t, p, o] = k.split("\0");
        ts.push(t!);
        ps.push(Number(p));
        os.push(o!);
      }
      const readers = (await this.pool.query<BatchRow>(BY_POSITION, [ts, ps, os])).rows.map(restore);
      frontier = [];
      for (const row of readers) {
        if (found.has(row.id)) continue;
        // the row must have read that very record there (a topic deleted and made again reuses offsets)
        let reads = false;
        for (let i = 0; i < ts.length && !reads; i++) {
          if (ts[i] !== row.topic || ps[i] !== row.partition) continue;
          const idx = inputIndexAt(row, os[i]!);
          reads = idx >= 0 && row.in_ids?.[idx] === at.get(`${ts[i]}\0${ps[i]}\0${os[i]}`);
        }
        if (!reads) continue;
        found.set(row.id, row);
        frontier.push(row);
      }
    }
    return [...found.values()].sort((a, b) => a.at_ms - b.at_ms || a.seq - b.seq || (BigInt(a.id) < BigInt(b.id) ? -1 : BigInt(a.id) > BigInt(b.id) ? 1 : 0));
  }

  /** Where each of `ids` was read from an edge topic by a row found by id (first reading found per id and writer): rows written before out_locs. */
  async locations(ids: string[]): Promise<Map<string, Location[]>> {
    const out = new Map<string, Location[]>();
    if (!ids.length) return out;
    const want = new Set(ids);
    const r = await this.pool.query<BatchRow>(
      `SELECT ${COLS} FROM provenance_batch WHERE in_ids && $1::text[] AND topic IS NOT NULL AND stage_id IS DISTINCT FROM '${REPLAY_STAGE}' ORDER BY at, id`,
      byIdParams(ids),
    );
    for (const row of r.rows) {
      const inIds = row.in_ids ?? [];
      for (let i = 0; i < inIds.length; i++) {
        const id = inIds[i]!;
        if (!want.has(id)) continue;
        const offset = inputOffset(row, i);
        if (offset === null) continue;
        let list = out.get(id);
        if (!list) out.set(id, (list = []));
        if (!list.some((l) => l.topic === row.topic && l.partition === row.partition && l.offset === offset && l.nodeId === row.node_id)) {
          list.push({ topic: row.topic!, partition: row.partition!, offset, nodeId: row.node_id, fromNode: row.from_node, flowId: row.flow_id, at: row.at_ms });
        }
      }
    }
    return out;
  }

  /** Fills in topic/partition/offset of output events from where their records were read downstream. */
  private async locate(events: ProvenanceEvent[]): Promise<void> {
    const need = events.filter((e) => e.offset === null && e.port !== null && e.type !== "DROP");
    if (!need.length) return;
    const locs = await this.locations([...new Set(need.map((e) => e.recordId))]);
    for (const e of need) {
      const list = locs.get(e.recordId);
      if (!list) continue;
      const l = list.find((x) => x.fromNode === e.nodeId && x.flowId === e.flowId);
      if (!l) continue;
      e.topic = l.topic;
      e.partition = l.partition;
      e.offset = l.offset;
    }
  }

  /**
   * A record's lineage: its ancestors (walking parents up) and descendants (walking children
   * down) across nodes — and across flows, as lineage ids travel in headers — as a graph of
   * events with links parent event → child event.
   */
  async lineage(recordId: string, opts: { maxEvents?: number } = {}): Promise<LineageGraph> {
    const maxEvents = opts.maxEvents ?? 500;
    const events = new Map<string, { e: ProvenanceEvent; row: BatchRow; parentIdx: number; input: boolean }>();
    const up = new Set<string>();
    const down = new Set<string>();
    let frontier: { id: string; up: boolean; down: boolean }[] = [{ id: recordId, up: true, down: true }];
    up.add(recordId);
    down.add(recordId);
    let truncated = false;
    for (let round = 0; frontier.length && round < 64; round++) {
      const fetched = await this.rowsWith(frontier.map((f) => f.id));
      const ups = new Set(frontier.filter((f) => f.up).map((f) => f.id));
      const downs = new Set(frontier.filter((f) => f.down).map((f) => f.id));
      const next: { id: string; up: boolean; down: boolean }[] = [];
      const add = (e: ProvenanceEvent, row: BatchRow, parentIdx: number, input: boolean) => {
        if (events.has(e.id)) return;
        if (events.size >= maxEvents) {
          truncated = true;
          return;
        }
        events.set(e.id, { e, row, parentIdx, input });
      };
      for (const row of fetched) {
        const outIds = row.out_ids ?? [];
        const inIds = row.in_ids ?? [];
        // up: where the record was emitted (born, passed on), and who its parent is
        for (let j = 0; j < outIds.length; j++) {
          const id = outIds[j]!;
          if (!ups.has(id) && !downs.has(id)) continue;
          add(outputEvent(row, j), row, parentIndex(row, j), false);
          if (!ups.has(id)) continue;
          const p = parentIndex(row, j);
          const pid = p >= 0 ? inIds[p] : undefined;
          if (pid !== undefined && pid !== id && !up.has(pid)) {
            up.add(pid);
            next.push({ id: pid, up: true, down: false });
          }
        }
        // down: what the node that received the record made of it
        let hit: Map<number, string> | undefined;
        for (let i = 0; i < inIds.length; i++) {
          if (!downs.has(inIds[i]!)) continue;
          (hit ??= new Map()).set(i, inIds[i]!);
          const ev = inputEvent(row, i);
          if (ev) add(ev, row, i, true);
        }
        if (!hit) continue;
        for (let j = 0; j < outIds.length; j++) {
          const p = parentIndex(row, j);
          if (!hit.has(p)) continue;
          add(outputEvent(row, j), row, p, false);
          const cid = outIds[j]!;
          if (!down.has(cid)) {
            down.add(cid);
            next.push({ id: cid, up: false, down: true });
          }
        }
      }
      if (truncated) break;
      frontier = next;
    }

    const list = [...events.values()];
    await this.locate(list.map((x) => x.e));
    // links: parent event → event. The parent event of a record at node N is the latest earlier
    // event of its parent record at the node that fed N (the row's from_node), else at any node.
    const byRecord = new Map<string, typeof list>();
    for (const x of list) {
      let l = byRecord.get(x.e.recordId);
      if (!l) byRecord.set(x.e.recordId, (l = []));
      l.push(x);
    }
    const key = (x: { row: BatchRow }) => [x.row.at_ms, x.row.seq, Number(x.row.id)] as const;
    const before = (a: readonly [number, number, number], b: readonly [number, number, number]) => a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2])));
    const links: { from: string; to: string }[] = [];
    for (const x of list) {
      const pid = x.input ? x.e.recordId : x.parentIdx >= 0 ? x.row.in_ids?.[x.parentIdx] : undefined;
      if (pid === undefined) continue;
      const cands = (byRecord.get(pid) ?? []).filter((c) => c.row.id !== x.row.id);
      if (!cands.length) continue;
      const k = key(x);
      const earlier = cands.filter((c) => before(key(c), k));
      const pool = earlier.length ? earlier : cands;
      const atFrom = pool.filter((c) => c.e.nodeId === x.row.from_node);
      const pick = (atFrom.length ? atFrom : pool).reduce((a, b) => (before(key(a), key(b)) ? b : a));
      links.push({ from: pick.e.id, to: x.e.id });
    }
    const nodes = list.map((x) => x.e).sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
    return { recordId, nodes, links, truncated };
  }

  /** Events of a flow (optionally one node) in a time range, newest first. */
  async events(q: { flowId: string; nodeId?: string; from?: number; to?: number; limit?: number; types?: EventType[] }): Promise<ProvenanceEvent[]> {
    const limit = Math.min(q.limit ?? 100, 10_000);
    const out: ProvenanceEvent[] = [];
    let cursor: { at: number; seq: number; id: string } | undefined;
    const types = q.types?.length ? new Set(q.types) : undefined;
    while (out.length < limit) {
      const params: unknown[] = [q.flowId];
      let where = "flow_id = $1";
      if (q.nodeId !== undefined) {
        params.push(q.nodeId);
        where += ` AND node_id = $${params.length}`;
      }
      if (q.from !== undefined) {
        params.push(new Date(q.from));
        where += ` AND at >= $${params.length}`;
      }
      if (q.to !== undefined) {
        params.push(new Date(q.to));
        where += ` AND at < $${params.length}`;
      }
      if (cursor) {
        params.push(new Date(cursor.at), cursor.seq, cursor.id);
        const n = params.length;
        where += ` AND (at, seq, id) < ($${n - 2}::timestamptz, $${n - 1}::int, $${n}::bigint)`;
      }
      const r = await this.pool.query<BatchRow>(`SELECT ${COLS} FROM provenance_batch WHERE ${where} ORDER BY at DESC, seq DESC, id DESC LIMIT 50`, params);
      r.rows.forEach(restore);
      if (!r.rows.length) break;
      for (const row of r.rows) {
        const evs: ProvenanceEvent[] = [];
        const outIds = row.out_ids ?? [];
        for (let j = 0; j < outIds.length; j++) evs.push(outputEvent(row, j));
        const inIds = row.in_ids ?? [];
        for (let i = 0; i < inIds.length; i++) {
          const ev = inputEvent(row, i);
          if (ev) evs.push(ev);
        }
        for (let k = evs.length - 1; k >= 0 && out.length < limit; k--) if (!types || types.has(evs[k]!.type)) out.push(evs[k]!);
        if (out.length >= limit) break;
      }
      const last = r.rows[r.rows.length - 1]!;
      cursor = { at: last.at_ms, seq: last.seq, id: last.id };
      if (r.rows.length < 50) break;
    }
    await this.locate(out);
    return out;
  }

  /** The rows in which `recordId` was read from a Kafka topic (optionally in flow `flowId`), newest first, with its position there. */
  async readings(recordId: string, flowId?: string): Promise<{ row: BatchRow; index: number; offset: string }[]> {
    const rows = (await this.rowsWith([recordId]))
      .filter((row) => row.topic !== null && row.stage_id !== REPLAY_STAGE && (flowId === undefined || row.flow_id === flowId) && (row.in_ids ?? []).includes(recordId))
      .reverse()
      .slice(0, 20);
    const out: { row: BatchRow; index: number; offset: string }[] = [];
    for (const row of rows) {
      const index = (row.in_ids ?? []).indexOf(recordId);
      const offset = index >= 0 ? inputOffset(row, index) : null;
      if (offset !== null) out.push({ row, index, offset });
    }
    return out;
  }

  /** Does any row mention the record at all? (for error messages; a row that holds it by position is reached from one found by id) */
  async known(recordId: string): Promise<BatchRow | undefined> {
    const r = await this.pool.query<BatchRow>(`SELECT ${COLS} FROM provenance_batch WHERE ${BY_ID} ORDER BY at DESC LIMIT 50`, byIdParams([recordId]));
    const want = new Set([recordId]);
    return r.rows.map(restore).find((row) => holds(row, want));
  }

  /** Deletes rows older than `hours`; returns how many. */
  async prune(hours: number): Promise<number> {
    const r = await this.pool.query(`DELETE FROM provenance_batch WHERE at < now() - make_interval(hours => $1)`, [hours]);
    return r.rowCount ?? 0;
  }
}
