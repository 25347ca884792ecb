// Provenance rows found by Kafka position (migration 0005): a reader of an edge topic keeps its
// input ids out of the GIN index (in_ids NULL) and is found from where its writer put each record
// (out_locs). Synthetic batches shaped like the runtime's (produced offsets set), real Postgres.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listMigrations, migrate } from "@millrace/db";
import { catalog, HEADER, type MRecord } from "@millrace/processors";
import { createTestDatabase } from "@millrace/testkit";
import { planFlow, type ExecutionPlan } from "../planner/index.js";
import type { BatchEvent, Emitted, NodeBatch, ProducedPositions } from "../runtime/observer.js";
import { newRecordId } from "../runtime/records.js";
import { flowDoc } from "../../test-support/index.js";
import { ProvenanceRepository } from "../db/provenance.js";
import { ProvenanceRecorder } from "./recorder.js";
import { ProvenanceStore } from "./store.js";

// gen → keep (filter) → shape (map) → out (kafka-sink "ext"), and gen → alt (map, nothing after it):
// gen's topic has two readers; planned with a topic on every durable edge (no direct edges)
const FLOW = "pos";
const doc = flowDoc(
  FLOW,
  [
    ["gen", "generate", { count: 1 }],
    ["keep", "filter", { expression: "true" }],
    ["alt", "map", { expression: "value" }],
    ["shape", "map", { expression: "value" }],
    ["out", "kafka-sink", { topic: "ext" }],
  ],
  [["gen", "success", "keep"], ["gen", "success", "alt"], ["keep", "success", "shape"], ["shape", "success", "out"]],
);
const plan: ExecutionPlan = planFlow(doc, { get: (t) => catalog.get(t) as never }, { directEdges: false });
const topicOf = (node: string) => plan.topics.find((t) => t.role === "edge" && t.from?.node === node)!.name;
const GEN = topicOf("gen");
const KEEP = topicOf("keep");
const SHAPE = topicOf("shape");

const rec = (id: string, parent?: string): MRecord => ({ value: { id }, headers: parent ? { [HEADER.id]: id, [HEADER.parents]: parent } : { [HEADER.id]: id } });
/** where each output made by `out` was written */
const writtenAt = new WeakMap<Emitted, [topic: string, partition: number, offset: number]>();
/** an output as the runtime reports it: written to `topic` at (partition, offset), or not written (no topic) */
const out = (r: MRecord, parent: number, at?: [topic: string, partition: number, offset: number]): Emitted => {
  if (!at) return { port: "success", record: r, parent, topics: [] };
  const e: Emitted = { port: "success", record: r, parent, topics: [at[0]] };
  writtenAt.set(e, at);
  return e;
};
/** what producing returns for a node's outputs (one message per written output), each output given its messageIndex as the executor does */
const positionsOf = (n: NodeBatch): ProducedPositions => {
  const byTopic = new Map<string, [partition: number, offset: number][]>();
  for (const e of n.outputs) {
    const at = writtenAt.get(e);
    if (!at) continue;
    let list = byTopic.get(at[0]);
    if (!list) byTopic.set(at[0], (list = []));
    e.messageIndex = list.length;
    list.push([at[1], at[2]]);
  }
  return new Map([...byTopic].map(([t, l]) => [t, { partitions: Int32Array.from(l, (x) => x[0]), offsets: Float64Array.from(l, (x) => x[1]) }]));
};
const node = (nodeId: string, inputs: MRecord[], outputs: Emitted[], firstOffset?: number): NodeBatch => ({
  nodeId,
  inputs,
  ...(firstOffset !== undefined ? { inputOffsets: inputs.map((_, i) => String(firstOffset + i)) } : {}),
  bytesIn: 0,
  outputs,
  bytesOut: 0,
  errors: 0,
});
let clock = Date.now() - 60_000;
const batch = (deploymentId: string, n: NodeBatch, input?: [topic: string, partition: number]): BatchEvent => ({
  flowId: FLOW,
  deploymentId,
  stageId: n.nodeId,
  input: input ? { topic: input[0], partition: input[1], firstOffset: n.inputOffsets![0]!, lastOffset: n.inputOffsets![n.inputOffsets!.length - 1]! } : null,
  startedAt: (clock += 10),
  durationMs: 1,
  transactional: false,
  nodes: [n],
  positions: positionsOf(n),
});

describe("provenance found by Kafka position", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;
  let store: ProvenanceStore;
  const rows = async (where: string, params: unknown[] = []) =>
    (await pool.query<{ node_id: string; in_ids: string[] | null; input_ids: string[] | null; out_locs: string | null }>(`SELECT node_id, in_ids, input_ids, out_locs FROM provenance_batch WHERE ${where} ORDER BY id`, params)).rows;

  beforeAll(async () => {
    db = await createTestDatabase("pos");
    await migrate(db.url);
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    store = new ProvenanceStore(new ProvenanceRepository(pool));
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  // x0..x3 created at gen (gen's topic, partition 0, offsets 0..3); keep passes x0, x2 on (keep's
  // topic p0 @0, @1) and drops x1, x3; alt maps every x to a y (not written anywhere); shape maps
  // x0 → z0 (shape's topic p1 @5, keyed) and x2 → z2 (p0 @7); out sends z0, z2 to "ext" (p0 @100, @101)
  const x = ["a.x0", "a.x1", "a.x2", "a.x3"].map((id) => rec(id));
  const y = x.map((r, i) => rec(`a.y${i}`, r.headers[HEADER.id]));
  const z0 = rec("a.z0", "a.x0");
  const z2 = rec("a.z2", "a.x2");

  it("a reader of an edge topic keeps its ids out of the GIN index once the writer's offsets were seen", async () => {
    const r = new ProvenanceRecorder({ repository: new ProvenanceRepository(pool), engineId: "e1", plans: () => plan });
    r.onBatch(batch("d1", node("gen", [], x.map((m, i) => out(m, -1, [GEN, 0, i])))));
    r.onBatch(batch("d1", node("keep", x, [out(x[0]!, 0, [KEEP, 0, 0]), out(x[2]!, 2, [KEEP, 0, 1])], 0), [GEN, 0]));
    r.onBatch(batch("d1", node("alt", x, y.map((m, i) => out(m, i)), 0), [GEN, 0]));
    r.onBatch(batch("d1", node("shape", [x[0]!, x[2]!], [out(z0, 0, [SHAPE, 1, 5]), out(z2, 1, [SHAPE, 0, 7])], 0), [KEEP, 0]));
    r.onBatch(batch("d1", node("out", [z2], [out(z2, 0, ["ext", 0, 101])], 7), [SHAPE, 0]));
    r.onBatch(batch("d1", node("out", [z0], [out(z0, 0, ["ext", 0, 100])], 5), [SHAPE, 1]));
    await r.drain();
    expect(r.snapshot().rows).toBe(6);

    const all = await rows("flow_id = $1", [FLOW]);
    expect(all.map((w) => [w.node_id, w.in_ids === null, w.input_ids?.length ?? null])).toEqual([
      ["gen", false, 0], // no inputs
      ["keep", true, 4],
      ["alt", true, 4],
      ["shape", true, 2],
      ["out", true, 1],
      ["out", true, 1],
    ]);
    // runs "j,partition,offset,count": the keyed shape outputs went to two partitions
    expect(all.map((w) => w.out_locs)).toEqual(["0,0,0,4", "0,0,0,2", null, "0,1,5,1,1,0,7,1", "0,0,101,1", "0,0,100,1"]);
  });

  it("lineage walks through rows found by position, with every event's place in Kafka", async () => {
    const g = await store.lineage("a.z2");
    expect(g.nodes.map((e) => [e.nodeId, e.type, e.recordId, e.topic, e.partition, e.offset])).toEqual([
      ["gen", "CREATE", "a.x2", GEN, 0, "2"],
      ["keep", "ROUTE", "a.x2", KEEP, 0, "1"],
      ["shape", "MODIFY", "a.z2", SHAPE, 0, "7"],
      ["out", "SEND", "a.z2", "ext", 0, "101"],
    ]);
    expect(g.links).toHaveLength(3);

    // from the created record down: both readers of gen's topic, the drop, the child at alt
    const d = await store.lineage("a.x1");
    expect(d.nodes.map((e) => `${e.nodeId}:${e.type}:${e.recordId}`).sort()).toEqual(["alt:MODIFY:a.y1", "gen:CREATE:a.x1", "keep:DROP:a.x1"]);
    const drop = d.nodes.find((e) => e.type === "DROP")!;
    expect([drop.topic, drop.partition, drop.offset]).toEqual([GEN, 0, "1"]);

    const down = await store.lineage("a.x0");
    expect(down.nodes.map((e) => `${e.nodeId}:${e.type}:${e.recordId}`).sort()).toEqual(["alt:MODIFY:a.y0", "gen:CREATE:a.x0", "keep:ROUTE:a.x0", "out:SEND:a.z0", "shape:MODIFY:a.z0"]);
    // y has no place in Kafka (written nowhere); its ancestors are found from alt's row
    const fromY = await store.lineage("a.y3");
    expect(fromY.nodes.map((e) => [e.nodeId, e.type, e.recordId, e.offset])).toEqual([
      ["gen", "CREATE", "a.x3", "3"],
      ["alt", "MODIFY", "a.y3", null],
    ]);
  });

  it("readings (replay's lookup) and events see the rows found by position", async () => {
    const readings = await store.readings("a.x2", FLOW);
    expect(readings.map((r) => [r.row.node_id, r.row.topic, r.offset]).sort()).toEqual([
      ["alt", GEN, "2"],
      ["keep", GEN, "2"],
      ["shape", KEEP, "1"],
    ]);
    expect((await store.readings("a.z0"))?.map((r) => [r.row.node_id, r.row.partition, r.offset])).toEqual([["out", 1, "5"]]);
    const keep = await store.events({ flowId: FLOW, nodeId: "keep", limit: 10 });
    expect(keep.map((e) => [e.type, e.recordId, e.offset]).sort()).toEqual([
      ["DROP", "a.x1", "1"],
      ["DROP", "a.x3", "3"],
      ["ROUTE", "a.x0", "0"],
      ["ROUTE", "a.x2", "1"],
    ]);
    expect(await store.known("a.z2")).toBeTruthy();
  });

  it("a record read twice (at-least-once redelivery) shows both readings", async () => {
    const r = new ProvenanceRecorder({ repository: new ProvenanceRepository(pool), engineId: "e1", plans: () => plan });
    r.onBatch(batch("d1", node("gen", [], [out(x[0]!, -1, [GEN, 0, 0])]))); // makes d1's writes to GEN p0 known to this recorder
    r.onBatch(batch("d1", node("keep", [x[2]!, x[3]!], [out(x[2]!, 0, [KEEP, 0, 2])], 2), [GEN, 0]));
    await r.drain();
    const g = await store.lineage("a.x2");
    expect(g.nodes.filter((e) => e.nodeId === "keep").map((e) => e.offset)).toEqual(["1", "2"]);
    expect((await store.readings("a.x2", FLOW)).filter((r) => r.row.node_id === "keep")).toHaveLength(2);
  });

  it("readers whose writer this recorder did not see (another deployment, before its first write, a dropped batch) are found by id", async () => {
    const r = new ProvenanceRecorder({ repository: new ProvenanceRepository(pool), engineId: "e2", plans: () => plan, maxQueued: 10 });
    // nothing seen written to KEEP p0 by d2 yet: by id
    r.onBatch(batch("d2", node("shape", [rec("b.x0")], [out(rec("b.z0", "b.x0"), 0, [SHAPE, 0, 50])], 40), [KEEP, 0]));
    // gen of d2 writes 0..3 (seen), then a batch of 11 that is dropped (queue bound): its readers by id
    r.onBatch(batch("d2", node("gen", [], [0, 1, 2, 3].map((i) => out(rec(`b.g${i}`), -1, [GEN, 2, i])))));
    await r.drain();
    const late = [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14].map((i) => rec(`b.g${i}`));
    r.onBatch(batch("d2", node("gen", [], late.map((m, i) => out(m, -1, [GEN, 2, 4 + i])))));
    expect(r.snapshot().droppedBatches).toBe(1);
    r.onBatch(batch("d2", node("keep", late.slice(0, 2), [], 4), [GEN, 2]));
    r.onBatch(batch("d2", node("keep", [rec("b.g0"), rec("b.g1")], [], 0), [GEN, 2]));
    await r.drain();
    expect((await rows("deployment_id = 'd2' AND node_id <> 'gen'")).map((w) => [w.node_id, w.in_ids?.length ?? null, w.input_ids?.length ?? null])).toEqual([
      ["shape", 1, 1], // short ids are their own lookup keys
      ["keep", 2, 2], // offsets 4, 5: from the dropped batch
      ["keep", 2, 2], // offsets 0, 1: at or below a dropped batch's offsets (conservative)
    ]);
    const g = await store.lineage("b.x0");
    expect(g.nodes.map((e) => `${e.nodeId}:${e.type}:${e.recordId}`)).toEqual(["shape:MODIFY:b.z0"]);
    expect((await store.lineage("b.g4")).nodes.map((e) => `${e.nodeId}:${e.type}`)).toEqual(["keep:DROP"]);
  });

  it("inputs read by id are indexed by lookup keys: a few GIN entries for thousands of engine-made ids", async () => {
    // a kafka-source reading an external topic: ids born at decode (random prefix + counter)
    const srcDoc = flowDoc("src", [["src", "kafka-source", { topic: "in" }], ["sink", "kafka-sink", { topic: "t" }]], [["src", "success", "sink"]]);
    const srcPlan = planFlow(srcDoc, { get: (t) => catalog.get(t) as never }, { directEdges: false });
    const srcTopic = srcPlan.topics.find((t) => t.role === "edge")!.name;
    const read = Array.from({ length: 3000 }, () => rec(newRecordId()));
    const r = new ProvenanceRecorder({ repository: new ProvenanceRepository(pool), engineId: "e3", plans: () => srcPlan });
    r.onBatch({ ...batch("d4", node("src", read, read.map((m, i) => out(m, i, [srcTopic, 0, i])), 0), ["in", 0]), flowId: "src" });
    await r.drain();
    const [row] = await rows("deployment_id = 'd4'");
    expect(row!.input_ids).toHaveLength(3000);
    const outKeys = (await pool.query<{ out_ids: string[] | null }>("SELECT out_ids FROM provenance_batch WHERE deployment_id = 'd4'")).rows[0]!.out_ids;
    expect(outKeys).toBeNull(); // every output passed on unchanged: nothing created here
    // 3,000 consecutive ids: a key per 1,296 once the counter has three digits (before: see keys.test.ts)
    expect(row!.in_ids!.length).toBeGreaterThanOrEqual(3);
    expect(row!.in_ids!.length).toBeLessThanOrEqual(36 + 1 + 4);
    for (const k of [0, 1500, 2999]) {
      const g = await store.lineage(read[k]!.headers[HEADER.id]!);
      expect(g.nodes.map((e) => `${e.nodeId}:${e.type}:${e.offset}`)).toEqual([`src:RECEIVE:${k}`]);
    }
    // a long id nobody holds, sharing its key with held ones: no false match
    const last = read[2999]!.headers[HEADER.id]!;
    const neighbour = last.slice(0, -1) + (last.endsWith("z") ? "y" : "z");
    expect(read.some((m) => m.headers[HEADER.id] === neighbour)).toBe(false);
    expect((await store.lineage(neighbour)).nodes).toEqual([]);
    expect(await store.known(neighbour)).toBeUndefined();

    // ids created at a node (a map after the source, fused): out_ids holds their keys
    const made = read.map((m) => rec(newRecordId(), m.headers[HEADER.id]));
    r.onBatch({ ...batch("d4", node("src", [], made.map((m, i) => out(m, i))), ), flowId: "src", stageId: "fused" });
    await r.drain();
    const keys = (await pool.query<{ out_ids: string[] }>("SELECT out_ids FROM provenance_batch WHERE deployment_id = 'd4' AND stage_id = 'fused'")).rows[0]!.out_ids;
    expect(keys.length).toBeLessThanOrEqual(4); // the counter has three or more digits by now
    expect(keys.every((k) => k.startsWith("~"))).toBe(true);
    const child = made[1234]!.headers[HEADER.id]!;
    expect((await store.lineage(child)).nodes.filter((e) => e.recordId === child).map((e) => `${e.nodeId}:${e.type}`)).toEqual(["src:CREATE"]);
  });

  it("a replay topic's reader is found from the REPLAY row's slice", async () => {
    const replayTopic = plan.stages.find((s) => s.head === "keep")!.replayTopic!;
    expect(replayTopic).toBeTruthy();
    await pool.query(
      `INSERT INTO provenance_batch (flow_id, deployment_id, stage_id, node_id, seq, at, topic, partition, first_offset, last_offset, in_ids, in_events, out_ids, out_events)
       VALUES ($1, 'd1', '#replay', 'keep', 0, to_timestamp($3 / 1000.0), $2, 0, 3, 3, ARRAY['a.x1'], '.', ARRAY['a.r1'], 'P')`,
      [FLOW, replayTopic, (clock += 10)],
    );
    const r = new ProvenanceRecorder({ repository: new ProvenanceRepository(pool), engineId: "e1", plans: () => plan });
    r.onBatch(batch("d3", node("keep", [rec("a.r1", "a.x1")], [out(rec("a.r1", "a.x1"), 0, [KEEP, 0, 9])], 3), [replayTopic, 0]));
    await r.drain();
    expect((await rows("deployment_id = 'd3'")).map((w) => [w.in_ids, w.input_ids])).toEqual([[null, ["a.r1"]]]); // found by position
    const g = await store.lineage("a.r1");
    expect(g.nodes.map((e) => `${e.nodeId}:${e.type}:${e.recordId}:${e.offset}`)).toEqual(["gen:CREATE:a.x1:1", "keep:REPLAY:a.r1:3", "keep:ROUTE:a.r1:9"]);
  });
});

describe("migration 0005 on a table with rows written before it", () => {
  it("old rows (every id in the GIN indexes, no out_locs) keep their lineage, next to new ones", async () => {
    const db = await createTestDatabase("pos-mig");
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query(`CREATE TABLE "_millrace_migrations" (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
      for (const m of listMigrations().filter((m) => m.name < "0005")) {
        await c.query(m.sql);
        await c.query(`INSERT INTO "_millrace_migrations"(name) VALUES ($1)`, [m.name]);
      }
      // as the recorder wrote them before 0005: gen creates o.x at GEN p0 @0, keep (filter) passes it on
      // (out_ids "="), shape makes o.z of it
      const cols = "flow_id, deployment_id, stage_id, node_id, node_type, from_node, seq, at, topic, partition, first_offset, last_offset, in_ids, in_events, out_ids, out_parents, out_events, port_topics";
      await c.query(`INSERT INTO provenance_batch (${cols}) VALUES
        ('old', 'd0', 'gen', 'gen', 'generate', NULL, 0, now() - interval '1 minute', NULL, NULL, NULL, NULL, '{}', '', ARRAY['o.x'], ARRAY[-1], 'C', $1::jsonb),
        ('old', 'd0', 'keep', 'keep', 'filter', 'gen', 0, now() - interval '59 seconds', $2, 0, 0, 0, ARRAY['o.x'], '.', ARRAY['='], NULL, 'R', $3::jsonb),
        ('old', 'd0', 'shape', 'shape', 'map', 'keep', 0, now() - interval '58 seconds', $4, 0, 0, 0, ARRAY['o.x'], '.', ARRAY['o.z'], NULL, 'M', $5::jsonb)`, [
        JSON.stringify({ success: [GEN] }),
        GEN,
        JSON.stringify({ success: [KEEP] }),
        KEEP,
        JSON.stringify({ success: [SHAPE] }),
      ]);
    } finally {
      await c.end();
    }
    // 0005 and every later migration
    expect(await migrate(db.url)).toEqual(listMigrations().filter((m) => m.name >= "0005").map((m) => m.name));
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    try {
      const store = new ProvenanceStore(new ProvenanceRepository(pool));
      const g = await store.lineage("o.z");
      expect(g.nodes.map((e) => [e.nodeId, e.type, e.recordId, e.topic, e.partition, e.offset])).toEqual([
        ["gen", "CREATE", "o.x", GEN, 0, "0"], // located where keep read it (the old way)
        ["keep", "ROUTE", "o.x", KEEP, 0, "0"],
        ["shape", "MODIFY", "o.z", SHAPE, null, null],
      ]);
      expect((await store.readings("o.x", "old")).map((r) => r.row.node_id).sort()).toEqual(["keep", "shape"]);
      // a new reader (after the migration) of what the old shape wrote: written before this recorder saw any write there, so by id
      const r = new ProvenanceRecorder({ repository: new ProvenanceRepository(pool), engineId: "e1", plans: () => plan });
      r.onBatch({ ...batch("d0", node("out", [rec("o.z", "o.x")], [out(rec("o.z", "o.x"), 0, ["ext", 0, 0])], 0), [SHAPE, 0]), flowId: "old", startedAt: Date.now() });
      await r.drain();
      const after = await store.lineage("o.x");
      expect(after.nodes.map((e) => `${e.nodeId}:${e.type}:${e.recordId}`)).toEqual(["gen:CREATE:o.x", "keep:ROUTE:o.x", "shape:MODIFY:o.z", "out:SEND:o.z"]);
    } finally {
      await pool.end();
      await db.drop();
    }
  });
});
