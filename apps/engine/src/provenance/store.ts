import { REPLAY_STAGE, type BatchRow, type ProvenanceRepository } from "../db/provenance.js";
import { eventOfCode, NO_EVENT, type EventType } from "./events.js";
import { inputKey, SAME } from "./recorder.js";
import { OUTPUT_TOPICS_KEY } from "./coalesce.js";

export { REPLAY_STAGE, type BatchRow } from "../db/provenance.js";

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
  /**
   * Only when nothing is known of the record: since when lineage is kept (ms; older partitions
   * were dropped to stay within MILLRACE_PROVENANCE_MAX_MB / _RETENTION_HOURS); null: none kept
   */
  keptSince?: number | null;
}

/** The ids and their lookup keys (see inputKey; rows from before migration 0005 hold the ids themselves): the rows found are candidates, checked with `holds`. */
const idKeys = (ids: string[]) => [...new Set([...ids, ...ids.map(inputKey)])];

/** Does the row hold one of `ids` as an input or output? */
function holds(r: BatchRow, ids: Set<string>): boolean {
  for (const id of r.in_ids ?? []) if (ids.has(id)) return true;
  for (const id of r.out_ids ?? []) if (ids.has(id)) return true;
  return false;
}

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
    const topic = outputTopic(r, j);
    if (topic === undefined) return undefined;
    return { topic, partition: runs[k + 1]!, offset: String(runs[k + 2]! + (j - first)) };
  }
  return undefined;
}

/** The first topic output `j` of `r` was written to: its own when the row has one per output (OUTPUT_TOPICS_KEY), else its port's. */
export function outputTopic(r: BatchRow, j: number): string | undefined {
  const runs = r.port_topics?.[OUTPUT_TOPICS_KEY];
  if (runs) {
    for (let k = 0; k + 2 < runs.length; k += 3) {
      const first = Number(runs[k]);
      if (j >= first && j < first + Number(runs[k + 1])) return runs[k + 2];
    }
    return undefined;
  }
  return r.port_topics?.[portOf(r, j)]?.[0];
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

/**
 * A record a stage's head read from Kafka and passed on unchanged to a node in its own stage (a
 * kafka-source over a direct edge) is written nowhere: it sits where it was read.
 */
function passedOnPosition(r: BatchRow, j: number, p: number): Position | undefined {
  if (r.topic === null || r.partition === null || p < 0 || r.out_ids?.[j] !== r.in_ids?.[p]) return undefined;
  const offset = inputOffset(r, p);
  return offset === null ? undefined : { topic: r.topic, partition: r.partition, offset };
}

function outputEvent(r: BatchRow, j: number): ProvenanceEvent {
  const p = parentIndex(r, j);
  const parent = p >= 0 ? r.in_ids?.[p] : undefined;
  const type = eventOfCode(r.out_events[j] ?? "") ?? "MODIFY";
  const replay = r.stage_id === REPLAY_STAGE;
  const port = portOf(r, j);
  const topic = outputTopic(r, j);
  const pos = replay ? undefined : (outputPosition(r, j) ?? (topic === undefined ? passedOnPosition(r, j, p) : undefined));
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
    topic: replay ? r.topic : (pos?.topic ?? topic ?? null),
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
  constructor(private readonly rows: ProvenanceRepository) {}

  /**
   * Rows whose inputs or outputs hold one of `ids`: those found by id (GIN: where a record was
   * created, or read other than from a position its writer recorded), then, hop by hop, the rows
   * that read it where those rows wrote it (by Kafka position), until no new row turns up.
   */
  private async rowsWith(ids: string[]): Promise<BatchRow[]> {
    const want = new Set(ids);
    const found = new Map<string, BatchRow>();
    let frontier = (await this.rows.withKeys(idKeys(ids))).map(restore).filter((r) => holds(r, want));
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
      const readers = (await this.rows.readAt(ts, ps, os)).map(restore);
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
    for (const row of await this.rows.readingWithKeys(idKeys(ids))) {
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
      // none earlier (rows stored out of order): any but an event at a node this one feeds, which
      // comes after it (a kafka-source's record passed on unchanged in its stage has the same id downstream)
      const pool = earlier.length ? earlier : cands.filter((c) => c.row.from_node !== x.e.nodeId);
      if (!pool.length) continue;
      const atFrom = pool.filter((c) => c.e.nodeId === x.row.from_node);
      const pick = (atFrom.length ? atFrom : pool).reduce((a, b) => (before(key(a), key(b)) ? b : a));
      links.push({ from: pick.e.id, to: x.e.id });
    }
    const nodes = list.map((x) => x.e).sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
    // nothing known: say how far back lineage goes, so a record older than that is told apart from a wrong id
    const keptSince = nodes.length === 0 ? await this.rows.oldestKept() : undefined;
    return { recordId, nodes, links, truncated, ...(keptSince !== undefined ? { keptSince } : {}) };
  }

  /** Events of a flow (optionally one node) in a time range, newest first. */
  async events(q: { flowId: string; nodeId?: string; from?: number; to?: number; limit?: number; types?: EventType[] }): Promise<ProvenanceEvent[]> {
    const limit = Math.min(q.limit ?? 100, 10_000);
    const out: ProvenanceEvent[] = [];
    let cursor: { at: number; seq: number; id: string } | undefined;
    const types = q.types?.length ? new Set(q.types) : undefined;
    while (out.length < limit) {
      const page = await this.rows.page(q, cursor);
      page.forEach(restore);
      if (!page.length) break;
      for (const row of page) {
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
      const last = page[page.length - 1]!;
      cursor = { at: last.at_ms, seq: last.seq, id: last.id };
      if (page.length < 50) break;
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
    const want = new Set([recordId]);
    return (await this.rows.latestWithKeys(idKeys([recordId]))).map(restore).find((row) => holds(row, want));
  }
}
