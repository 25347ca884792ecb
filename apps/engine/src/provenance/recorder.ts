import { HEADER } from "@millrace/processors";
import { errorMessage, logger, type Logger } from "../log.js";
import type { BatchColumns, ProvenanceRepository } from "../db/provenance.js";
import type { BatchEvent, InputSlice, RunnerObserver, TopicPositions } from "../runtime/observer.js";
import type { ExecutionPlan } from "../planner/index.js";
import { deriveEvents } from "./events.js";
import { PlanCache, type PlanIndex, type PlanLookup } from "./plans.js";
import { coalesceBatches, OUTPUT_TOPICS_KEY, type Captured, type CapturedNode } from "./coalesce.js";

/**
 * port_topics with each output's topic under OUTPUT_TOPICS_KEY, as runs of three texts: first
 * output index, count, topic (read back by provenance/store.ts outputTopic).
 */
function withOutputTopics(portTopics: Record<string, readonly string[]>, outTopics: readonly (string | undefined)[]): Record<string, readonly string[]> {
  const runs: string[] = [];
  for (let j = 0; j < outTopics.length; ) {
    const t = outTopics[j];
    let n = 1;
    while (j + n < outTopics.length && outTopics[j + n] === t) n++;
    if (t !== undefined) runs.push(String(j), String(n), t);
    j += n;
  }
  return { ...portTopics, [OUTPUT_TOPICS_KEY]: runs };
}

/** Separator of the ids packed into one text parameter (split again by Postgres' string_to_array). */
const SEP = "\x1f";
/** out_ids entry of an output that is its input passed on unchanged (see passThroughBlank) */
export const SAME = "=";
// NUL and the separator are what must not appear inside a packed id
// eslint-disable-next-line no-control-regex
const BAD = /[\x00\x1f]/;
// eslint-disable-next-line no-control-regex
const BAD_ALL = /[\x00\x1f]/g;

export interface ProvenanceRecorderOptions {
  /** where the rows go (provenance_batch) */
  repository: ProvenanceRepository;
  engineId: string;
  /** finds the plan of a deployment running here (node types, who wrote an input topic) */
  plans?: PlanLookup;
  /** ids (inputs + outputs) held in memory at most; beyond, whole batches are dropped and counted (default 500,000) */
  maxQueued?: number;
  /**
   * how often the writer flushes (ms, default 1000; a flush writes a stage's consecutive batches as
   * one row per node, so a longer interval means fewer, fuller rows); it also flushes at once when
   * 100,000 ids wait
   */
  flushIntervalMs?: number;
  /** rows per INSERT statement (default 1,000) */
  rowsPerInsert?: number;
  log?: Logger;
}

export interface ProvenanceRecorderStats {
  batches: number;
  records: number;
  rows: number;
  droppedBatches: number;
  droppedRecords: number;
  writeErrors: number;
  queued: number;
  lastError?: string;
}

/**
 * The provenance observer. On the hot path (`onBatch`, synchronous) it only copies the lineage
 * ids, parent indices and ports of each node's records into a bounded in-memory queue; a
 * background writer turns the queue into one `provenance_batch` row per node per batch and
 * writes many rows per INSERT (arrays packed into a few text parameters, unnested by Postgres).
 *
 * When Postgres cannot keep up (or is down) the queue grows to `maxQueued` ids; beyond that new
 * batches are dropped and counted (`droppedBatches` / `droppedRecords`, exported at /metrics)
 * rather than slowing the flow down: provenance is an observer and never back-pressures the
 * data path. A failed write is retried (its rows stay at the head of the queue).
 */
export class ProvenanceRecorder implements RunnerObserver {
  private queue: Captured[] = [];
  private queued = 0;
  private readonly plans: PlanCache;
  private readonly maxQueued: number;
  private readonly rowsPerInsert: number;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;
  private lastDropLog = 0;
  /** while writes fail: when the outage began, the dropped-record count then, and when to write next */
  private outage: { since: number; droppedBefore: number; retryAt: number; backoffMs: number } | undefined;
  /** deployment → "topic\0partition" → what this recorder saw written there (see `locatable`) */
  private readonly written = new Map<string, { used: number; parts: Map<string, Written> }>();
  readonly stats: ProvenanceRecorderStats = { batches: 0, records: 0, rows: 0, droppedBatches: 0, droppedRecords: 0, writeErrors: 0, queued: 0 };
  private readonly log: Logger;

  constructor(private readonly o: ProvenanceRecorderOptions) {
    this.plans = new PlanCache(o.plans);
    this.maxQueued = o.maxQueued ?? 500_000;
    this.rowsPerInsert = o.rowsPerInsert ?? 1000;
    this.log = o.log ?? logger.child({ module: "provenance", engineId: o.engineId });
  }

  start(): void {
    this.timer = setInterval(
      () => void this.flush().catch((e) => this.log.error({ err: e }, `provenance flush failed: ${errorMessage(e)}; queued lineage stays in memory and is retried at the next flush`)),
      this.o.flushIntervalMs ?? 1000,
    );
    this.timer.unref();
  }

  // ---------------------------------------------------------------- hot path

  onBatch(b: BatchEvent): void {
    if (this.closed || b.provenance === false) return;
    let size = 0;
    for (const nb of b.nodes) size += nb.inputs.length + nb.outputs.length;
    if (this.queued + size > this.maxQueued) {
      this.noteDropped(b);
      this.stats.droppedBatches++;
      this.stats.droppedRecords += size;
      const now = Date.now();
      if (now - this.lastDropLog > 10_000) {
        this.lastDropLog = now;
        this.log.warn(
          { droppedBatches: this.stats.droppedBatches, droppedRecords: this.stats.droppedRecords },
          `provenance: Postgres is not keeping up with lineage writes, dropping lineage of whole batches (${this.stats.droppedBatches} so far); the records themselves flow on, only their lineage is missing (millrace_provenance_dropped_records); give Postgres more capacity or set MILLRACE_PROVENANCE=off`,
        );
      }
      return;
    }
    const written = this.writtenOf(b.deploymentId);
    const nodes: CapturedNode[] = new Array(b.nodes.length);
    let posTopic: string | undefined;
    let pos: TopicPositions | undefined;
    for (let s = 0; s < b.nodes.length; s++) {
      const nb = b.nodes[s]!;
      const inputs = nb.inputs;
      const nIn = inputs.length;
      const inIds: string[] = new Array(nIn);
      for (let i = 0; i < nIn; i++) inIds[i] = inputs[i]!.headers[HEADER.id] ?? "";
      let inOffsets: string[] | null = null;
      const offs = nb.inputOffsets;
      if (offs && nIn > 1 && Number(offs[nIn - 1]) - Number(offs[0]) !== nIn - 1) inOffsets = offs.slice();

      const outputs = nb.outputs;
      const nOut = outputs.length;
      const outIds: string[] = new Array(nOut);
      let outParents: Int32Array | null = null;
      let outPorts: string[] | null = null;
      let portTopics: Record<string, readonly string[]> | null = null;
      let lastPort = "";
      // outputs of one port written to different topics (a sink picking each record's topic)
      let lastTopics: readonly string[] | undefined;
      let otherTopic: string | undefined;
      let outTopics: (string | undefined)[] | null = null;
      let outLocs: number[] | null = null;
      // the open run: outputs runJ.. at partition runP, offsets runO.., in topics runT
      let runJ = -1;
      let runP = -1;
      let runO = 0;
      let runN = 0;
      let runT: string | undefined;
      for (let i = 0; i < nOut; i++) {
        const e = outputs[i]!;
        outIds[i] = e.record.headers[HEADER.id] ?? "";
        // where it was written: its entry in the positions producing returned for its first topic
        const at = e.messageIndex;
        if (at !== undefined && e.topics[0] !== posTopic) {
          posTopic = e.topics[0];
          pos = posTopic === undefined ? undefined : b.positions?.get(posTopic);
        }
        const o = at !== undefined && pos !== undefined ? pos.offsets[at]! : -1;
        if (o >= 0) {
          const p = pos!.partitions[at!]!;
          if (runN > 0 && p === runP && o === runO + runN && i === runJ + runN && e.topics[0] === runT) runN++;
          else {
            if (runN > 0) (outLocs ??= []).push(runJ, runP, runO, runN);
            runJ = i;
            runP = p;
            runO = o;
            runN = 1;
            runT = e.topics[0]!;
            noteWritten(written, runT, p, o);
          }
        }
        if (e.parent !== i && outParents === null) {
          outParents = new Int32Array(nOut);
          for (let j = 0; j < i; j++) outParents[j] = j;
        }
        if (outParents !== null) outParents[i] = e.parent;
        const port = e.port;
        if (port !== "success" && outPorts === null) outPorts = new Array<string>(i).fill("success");
        if (outPorts !== null) outPorts.push(port);
        if (port !== lastPort) {
          lastPort = port;
          portTopics ??= {};
          if (!(port in portTopics)) portTopics[port] = e.topics;
        }
        if (e.topics !== lastTopics) {
          lastTopics = e.topics;
          const own = portTopics![port]![0];
          otherTopic = e.topics[0] !== own ? e.topics[0] : undefined;
          if (otherTopic !== undefined && outTopics === null) {
            outTopics = new Array<string | undefined>(nOut);
            for (let j = 0; j < i; j++) outTopics[j] = outputs[j]!.topics[0];
          }
        }
        if (outTopics !== null) outTopics[i] = otherTopic ?? e.topics[0];
      }
      if (runN > 0) (outLocs ??= []).push(runJ, runP, runO, runN);
      nodes[s] = { nodeId: nb.nodeId, seq: s, inIds, inOffsets, outIds, outParents, outPorts, portTopics, outLocs, outTopics };
    }
    this.queue.push({ flowId: b.flowId, deploymentId: b.deploymentId, stageId: b.stageId, at: b.startedAt, durationMs: b.durationMs, input: b.input, nodes, size });
    this.queued += size;
    this.stats.batches++;
    this.stats.records += size;
    if (this.queued >= 100_000 && !this.flushing && this.outage === undefined) void this.flush().catch(() => {});
  }

  private writtenOf(deploymentId: string): Map<string, Written> {
    let w = this.written.get(deploymentId);
    const now = Date.now();
    if (!w) {
      if (this.written.size >= 64) for (const [k, v] of this.written) if (now - v.used > 600_000) this.written.delete(k);
      this.written.set(deploymentId, (w = { used: now, parts: new Map() }));
    } else if (now - w.used > 1000) w.used = now;
    return w.parts;
  }

  /** A dropped batch's outputs are nowhere in Postgres: readers of those offsets must be found by id. */
  private noteDropped(b: BatchEvent): void {
    const written = this.writtenOf(b.deploymentId);
    for (const nb of b.nodes) {
      for (const e of nb.outputs) {
        const at = e.messageIndex;
        const pos = at === undefined ? undefined : b.positions?.get(e.topics[0]!);
        const o = pos ? pos.offsets[at!]! : -1;
        if (o < 0) continue;
        const key = e.topics[0]! + "\0" + pos!.partitions[at!]!;
        const w = written.get(key);
        if (!w) written.set(key, { since: Infinity, unsafe: o });
        else if (o > w.unsafe) w.unsafe = o;
      }
    }
  }

  // ---------------------------------------------------------------- writer

  /** Writes everything queued so far (single flight: a call during a flush waits for it and flushes again). */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => (this.queue.length ? this.flush() : undefined));
    if (!this.queue.length) return Promise.resolve();
    this.flushing = this.writeAll().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async writeAll(): Promise<void> {
    // while Postgres fails, write at most once per backoff instead of at every tick and batch
    if (this.outage && Date.now() < this.outage.retryAt) return;
    while (this.queue.length) {
      // take whole batches up to ~rowsPerInsert rows
      let rows = 0;
      let n = 0;
      while (n < this.queue.length && (n === 0 || rows + this.queue[n]!.nodes.length <= this.rowsPerInsert)) rows += this.queue[n++]!.nodes.length;
      const take = this.queue.slice(0, n);
      let written: number;
      try {
        written = await this.insert(take);
      } catch (e) {
        this.stats.writeErrors++;
        this.stats.lastError = e instanceof Error ? e.message : String(e);
        this.writeFailed(e);
        return; // the rows stay queued; a later tick retries
      }
      this.writeWorked();
      this.queue.splice(0, n);
      let size = 0;
      for (const c of take) size += c.size;
      this.queued -= size;
      this.stats.rows += written;
    }
  }

  private writeFailed(e: unknown): void {
    const now = Date.now();
    if (this.outage) {
      this.outage.backoffMs = Math.min(5000, this.outage.backoffMs * 2);
      this.outage.retryAt = now + this.outage.backoffMs;
      return;
    }
    this.outage = { since: now, droppedBefore: this.stats.droppedRecords, retryAt: now + 500, backoffMs: 500 };
    this.log.warn(
      { err: e },
      `provenance write to Postgres failed: ${this.stats.lastError}; lineage stays queued in memory (up to ${this.maxQueued} record ids, then dropped and counted) and is written once Postgres answers (retried every few seconds, not logged again until then); flows are unaffected`,
    );
  }

  private writeWorked(): void {
    const o = this.outage;
    if (!o) return;
    this.outage = undefined;
    const dropped = this.stats.droppedRecords - o.droppedBefore;
    const secs = Math.round((Date.now() - o.since) / 1000);
    if (dropped > 0)
      this.log.warn(
        { droppedRecords: dropped, outageSeconds: secs },
        `provenance writes to Postgres work again after ${secs} s; dropped ${dropped} records' lineage during the outage (millrace_provenance_dropped_records); the rest is being written now`,
      );
    else this.log.info({ outageSeconds: secs }, `provenance writes to Postgres work again after ${secs} s; no lineage was dropped, what was queued is being written now`);
  }

  private planFor(c: Captured): PlanIndex | undefined {
    return this.plans.get(c.flowId, c.deploymentId);
  }

  /** Writes the batches as rows (a stage's consecutive batches merged); returns how many rows. */
  private async insert(batches: Captured[]): Promise<number> {
    const cols: BatchColumns = Array.from({ length: 24 }, () => []);
    for (const c of batches) {
      const plan = this.planFor(c);
      // decided when written, not when observed: a reader's batch can reach observers before the
      // batch that wrote its input (e.g. a mirror's, whose observers wait for its offset commit)
      c.byPosition = c.input !== null && plan !== undefined && locatable(plan, this.writtenOf(c.deploymentId), c.input);
    }
    const rows = coalesceBatches(batches);
    for (const c of rows) {
      const plan = this.planFor(c);
      for (const nd of c.nodes) {
        const planned = plan?.nodes.get(nd.nodeId);
        const head = nd.seq === 0;
        const input = head ? c.input : null;
        const fromNode = input ? (plan?.topicWriter.get(input.topic) ?? null) : head ? null : (plan?.fusedFrom.get(nd.nodeId) ?? null);
        const ev = deriveEvents({
          kind: planned?.kind,
          forks: planned?.forks,
          inIds: nd.inIds,
          outIds: nd.outIds,
          outParents: nd.outParents,
          outPorts: nd.outPorts,
        });
        let k = 0;
        cols[k++]!.push(c.flowId);
        cols[k++]!.push(c.deploymentId);
        cols[k++]!.push(c.stageId);
        cols[k++]!.push(nd.nodeId);
        cols[k++]!.push(planned?.type ?? null);
        cols[k++]!.push(fromNode);
        cols[k++]!.push(nd.seq);
        cols[k++]!.push(c.at);
        cols[k++]!.push(Math.round(c.durationMs));
        cols[k++]!.push(input?.topic ?? null);
        cols[k++]!.push(input?.partition ?? null);
        cols[k++]!.push(input?.firstOffset ?? null);
        cols[k++]!.push(input?.lastOffset ?? null);
        cols[k++]!.push(head && nd.inOffsets ? nd.inOffsets.join(",") : null);
        // the ids go to input_ids / output_ids (no index). GIN: the lookup keys of the inputs (none
        // when the head's slice is locatable: found by position) and of the ids created here
        const byPosition = head && c.byPosition === true;
        cols[k++]!.push(byPosition ? null : pack(inputKeys(nd.inIds)));
        cols[k++]!.push(pack(nd.inIds));
        cols[k++]!.push(ev.in);
        const outIds = passThroughBlank(nd);
        const made = outKeys(outIds);
        cols[k++]!.push(made.length ? pack(made) : null);
        cols[k++]!.push(pack(outIds));
        cols[k++]!.push(nd.outParents ? nd.outParents.join(",") : null);
        cols[k++]!.push(nd.outPorts ? pack(nd.outPorts) : null);
        cols[k++]!.push(ev.out);
        cols[k++]!.push(nd.portTopics ? JSON.stringify(nd.outTopics ? withOutputTopics(nd.portTopics, nd.outTopics) : nd.portTopics) : null);
        cols[k++]!.push(nd.outLocs ? nd.outLocs.join(",") : null);
      }
    }
    await this.o.repository.insertBatches(cols, this.o.engineId);
    return cols[0]!.length;
  }

  /** Resolves once everything queued before the call is written (tests, shutdown). */
  async drain(timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.queue.length && Date.now() < end) {
      await this.flush();
      if (this.queue.length) await new Promise((r) => setTimeout(r, 100));
    }
  }

  snapshot(): ProvenanceRecorderStats {
    this.stats.queued = this.queued;
    return { ...this.stats };
  }

  /** Seeds the plan of a deployment (when the lookup cannot see it, e.g. in tests). */
  seedPlan(deploymentId: string, plan: ExecutionPlan): void {
    this.plans.put(deploymentId, plan);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.drain(5_000).catch(() => {});
    this.closed = true;
  }
}

/**
 * Output ids with "=" where the output is its input passed on unchanged (filter kept, route,
 * kafka-sink): the id is in in_ids already, so the out_ids GIN index does not hold it twice
 * (a fifth less index work for a typical flow). The store puts the id back when it reads a row.
 */
function passThroughBlank(nd: CapturedNode): string[] {
  const out = nd.outIds.slice();
  const parents = nd.outParents;
  for (let i = 0; i < out.length; i++) {
    const p = parents ? parents[i]! : i;
    // "=" rather than "": string_to_array('', sep) is an empty array, not one empty string
    if (p >= 0 && out[i] !== "" && out[i] === nd.inIds[p]) out[i] = SAME;
  }
  return out;
}

/** Marks a lookup key made from a longer id (engine-made ids are base64url + base36: no "~"). */
const KEY = "~";

/**
 * The GIN key of an input id (in_ids of rows written since migration 0005): the id less its last
 * two characters, so the 1,296 consecutive ids an engine process makes (random prefix + base36
 * counter) share one key, and a node-batch's inputs have a handful of keys instead of one entry
 * per id. Lossy: the store reads the candidate rows and keeps those that hold the id itself.
 * Ids of up to 9 characters are their own key.
 */
export function inputKey(id: string): string {
  return id.length > 9 ? KEY + id.slice(0, -2) : id;
}

/** The distinct keys of `ids` (see inputKey), in order of first appearance. */
export function inputKeys(ids: readonly string[]): string[] {
  const keys: string[] = [];
  let seen: Set<string> | undefined;
  let body = ""; // the last long id less its last two characters
  let len = -1;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id.length === len && id.startsWith(body)) continue; // same key as the previous long id
    const key = inputKey(id);
    if (id.length > 9) {
      body = id.slice(0, -2);
      len = id.length;
    } else len = -1;
    if (keys.length && (seen ??= new Set(keys)).has(key)) continue;
    keys.push(key);
    seen?.add(key);
  }
  return keys;
}

/** The lookup keys of the ids created at a node (out ids other than SAME). */
function outKeys(outIds: readonly string[]): string[] {
  let made: string[] | undefined;
  for (let i = 0; i < outIds.length; i++) {
    if (outIds[i] === SAME) {
      made ??= outIds.slice(0, i);
      continue;
    }
    made?.push(outIds[i]!);
  }
  return inputKeys(made ?? outIds);
}

/** What a recorder saw written to one partition of a topic by one deployment. */
interface Written {
  /** the first offset it saw written there (with the output recorded) */
  since: number;
  /** the highest offset written by a batch it dropped (-1: none) */
  unsafe: number;
}

function noteWritten(written: Map<string, Written>, topic: string, partition: number, offset: number): void {
  const key = topic + "\0" + partition;
  if (!written.has(key)) written.set(key, { since: offset, unsafe: -1 });
}

/**
 * Can a reader of `input` be found by (topic, partition, offset)? Only when the writer of every
 * message in the slice recorded where it went: a stage's replay topic (the replay API records
 * its copies' offsets), or an edge topic of this deployment at offsets from the first write this
 * recorder saw there on (earlier messages: another engine, an earlier deployment, a time before
 * this process), and none of them from a batch it dropped. Anything else keeps its ids in the
 * GIN-indexed in_ids, as before.
 */
function locatable(plan: PlanIndex, written: Map<string, Written>, input: InputSlice): boolean {
  const role = plan.ownTopics.get(input.topic);
  if (role === undefined) return false;
  if (role === "replay") return true;
  const w = written.get(input.topic + "\0" + input.partition);
  if (!w) return false;
  const first = +input.firstOffset;
  return first >= w.since && first > w.unsafe;
}

function pack(ids: readonly string[]): string {
  const s = ids.join(SEP);
  // ids come from headers: a NUL (illegal in Postgres text) or our separator must not break the batch
  return BAD.test(s) ? ids.map((x) => x.replace(BAD_ALL, "?")).join(SEP) : s;
}

