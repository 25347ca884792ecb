import type pg from "pg";
import { eventOfCode, NO_EVENT, type EventType } from "./events.js";
import { SAME } from "./recorder.js";

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
}

const COLS = `id::text AS id, flow_id, deployment_id, stage_id, node_id, node_type, from_node, seq, (extract(epoch from at) * 1000)::float8 AS at_ms,
  topic, partition, first_offset::text AS first_offset, in_offsets::text[] AS in_offsets, in_ids, in_events, out_ids, out_parents, out_ports, out_events, port_topics`;

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
    // a replay row's slice is where the copies went; other outputs are located later (where they were read)
    topic: replay ? r.topic : (r.port_topics?.[port]?.[0] ?? null),
    partition: replay ? r.partition : null,
    offset: replay ? inputOffset(r, j) : null,
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

  /** Rows whose inputs or outputs hold one of `ids`. */
  private async rowsWith(ids: string[]): Promise<BatchRow[]> {
    const r = await this.pool.query<BatchRow>(`SELECT ${COLS} FROM provenance_batch WHERE in_ids && $1::text[] OR out_ids && $1::text[] ORDER BY at, seq, id`, [ids]);
    return r.rows.map(restore);
  }

  /** Where each of `ids` was read from an edge topic (first reading found per id and writer). */
  async locations(ids: string[]): Promise<Map<string, Location[]>> {
    const out = new Map<string, Location[]>();
    if (!ids.length) return out;
    const want = new Set(ids);
    const r = await this.pool.query<BatchRow>(
      `SELECT ${COLS} FROM provenance_batch WHERE in_ids && $1::text[] AND topic IS NOT NULL AND stage_id IS DISTINCT FROM '${REPLAY_STAGE}' ORDER BY at, id`,
      [ids],
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

  /** The newest row in which `recordId` was read from a Kafka topic (optionally by `nodeId`), with its position there. */
  async readings(recordId: string, flowId?: string): Promise<{ row: BatchRow; index: number; offset: string }[]> {
    const params: unknown[] = [[recordId]];
    let where = `in_ids && $1::text[] AND topic IS NOT NULL AND stage_id IS DISTINCT FROM '${REPLAY_STAGE}'`;
    if (flowId) {
      params.push(flowId);
      where += ` AND flow_id = $2`;
    }
    const r = await this.pool.query<BatchRow>(`SELECT ${COLS} FROM provenance_batch WHERE ${where} ORDER BY at DESC, id DESC LIMIT 20`, params);
    const out: { row: BatchRow; index: number; offset: string }[] = [];
    for (const row of r.rows) {
      const index = (row.in_ids ?? []).indexOf(recordId);
      const offset = index >= 0 ? inputOffset(row, index) : null;
      if (offset !== null) out.push({ row, index, offset });
    }
    return out;
  }

  /** Does any row mention the record at all? (for error messages) */
  async known(recordId: string): Promise<BatchRow | undefined> {
    const r = await this.pool.query<BatchRow>(`SELECT ${COLS} FROM provenance_batch WHERE in_ids && $1::text[] OR out_ids && $1::text[] ORDER BY at DESC LIMIT 1`, [[recordId]]);
    return r.rows[0] && restore(r.rows[0]);
  }

  /** Deletes rows older than `hours`; returns how many. */
  async prune(hours: number): Promise<number> {
    const r = await this.pool.query(`DELETE FROM provenance_batch WHERE at < now() - make_interval(hours => $1)`, [hours]);
    return r.rowCount ?? 0;
  }
}
