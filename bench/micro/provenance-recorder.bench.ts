// The recorder alone, on synthetic batches shaped like B1's flow (1,000 records per batch): CPU of
// the hot path (onBatch), of the writer in this process, and of the Postgres cluster (the INSERTs' backend with GIN maintenance, autovacuum, a final VACUUM (ANALYZE)), per record.
// Use a Postgres cluster nobody else uses at the time (its whole CPU is counted). Batches carry produced
// positions as the runtime hands them over, so keep's, shape's and out's rows are found by position (no lookup keys);
// RB_NO_OFFSETS=1 leaves them out (every id in the GIN indexes, as before migration 0005).
//
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:55432/postgres node --import tsx bench/micro/provenance-recorder.bench.ts [records=300000]
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type * as Pg from "../../apps/engine/node_modules/@types/pg/index.js";
import { migrate } from "../../prisma/src/index.js";
import { catalog, HEADER, type MRecord } from "../../packages/processors/src/index.js";
import { createTestDatabase } from "../../packages/testkit/src/index.js";
import { planFlow } from "../../apps/engine/src/planner/index.js";
import type { BatchEvent, Emitted, ProducedPositions } from "../../apps/engine/src/runtime/observer.js";
import { newRecordId } from "../../apps/engine/src/runtime/records.js";
import { flowDoc } from "../../apps/engine/test-support/index.js";
import { ProvenanceRepository } from "../../apps/engine/src/db/provenance.js";
import { ProvenanceRecorder } from "../../apps/engine/src/provenance/recorder.js";

// bench/ is not a workspace package, so it has no node_modules of its own: use the engine's pg.
const pg = createRequire(new URL("../../apps/engine/package.json", import.meta.url))("pg") as typeof Pg;

const RECORDS = Number(process.argv[2] ?? 300_000);
// RB_BATCH=20: batches as small as a 10,000 records/s source makes (a flush merges them into one row per node)
const BATCH = Number(process.env.RB_BATCH ?? 1000);
const db = await createTestDatabase("rbench");
await migrate(db.url);
// RB_SQL="ALTER TABLE ...; ..." tries table settings (run once after the migrations)
if (process.env.RB_SQL) {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query(process.env.RB_SQL);
  await c.end();
}
// RB_PG_OPTIONS="-c gin_pending_list_limit=65536" tries session settings of the writer's connection
const pool = new pg.Pool({ connectionString: db.url, max: 1, ...(process.env.RB_PG_OPTIONS ? { options: process.env.RB_PG_OPTIONS } : {}) });
const backend = (await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
const stat = (pid: number | string) => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
const postmaster = Number(stat(backend)[1]);
// CPU of the whole cluster (postmaster, backends, autovacuum, checkpointer...; exited children via cutime), as the bench counts it
const ticks = () => {
  const m = stat(postmaster);
  let t = Number(m[11]) + Number(m[12]) + Number(m[13]) + Number(m[14]);
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const f = stat(pid);
      if (Number(f[1]) === postmaster) t += Number(f[11]) + Number(f[12]);
    } catch {
      // gone
    }
  }
  return t * 10_000; // clock ticks (100/s) → µs
};
// shaped like B1 (bench/README.md): kafka-source (ids born at decode) → filter (keeps half) → map → kafka-sink
const doc = flowDoc(
  "f",
  [["src", "kafka-source", { topic: "in" }], ["keep", "filter", { expression: "value.id % 2 = 0" }], ["shape", "map", { expression: "value" }], ["out", "kafka-sink", { topic: "t" }]],
  [["src", "success", "keep"], ["keep", "success", "shape"], ["shape", "success", "out"]],
);
const plan = planFlow(doc, { get: (t) => catalog.get(t) as never });
const rec = new ProvenanceRecorder({ repository: new ProvenanceRepository(pool), engineId: "bench", plans: () => plan });
rec.start();

const withOffsets = !process.env.RB_NO_OFFSETS;
// planned as two stages (direct edges): src+keep reads "in" and writes the edge topic, shape+out reads it and writes "t"
const keepTopic = plan.topics.find((t) => t.role === "edge" && t.from?.node === "keep")!.name;
const frozen = new Map<string, readonly string[]>();
const topicsOf = (t: string) => frozen.get(t) ?? frozen.set(t, Object.freeze([t])).get(t)!;
/** output `index` of a node that wrote all its outputs to `topic` (their positions: see written), or passed them on within its stage */
const emit = (record: MRecord, parent: number, topic: string | null, index: number): Emitted => {
  const e: Emitted = { port: "success", record, parent, topics: topic === null ? [] : topicsOf(topic), bytes: 40 };
  if (withOffsets && topic !== null) e.messageIndex = index;
  return e;
};
/** the positions producing returns for `n` messages written to partition 0 of `topic` from offset `from` */
const written = (topic: string, from: number, n: number): ProducedPositions | undefined =>
  withOffsets ? new Map([[topic, { partitions: new Int32Array(n), offsets: Float64Array.from({ length: n }, (_, j) => from + j) }]]) : undefined;
const mk = (id: string, parent?: string): MRecord => ({ value: { id: 1, total: 2 }, headers: parent ? { [HEADER.id]: id, [HEADER.parents]: parent } : { [HEADER.id]: id } });
const offs = (from: number, n: number) => Array.from({ length: n }, (_, i) => String(from + i));
const slice = (topic: string, from: number, n: number) => ({ topic, partition: 0, firstOffset: String(from), lastOffset: String(from + n - 1) });
let hot = 0;
const c0 = process.cpuUsage();
const p0 = ticks();
const t0 = Date.now();
const HALF = BATCH / 2;
for (let done = 0; done < RECORDS; done += BATCH) {
  const o = done;
  const h = done / 2;
  const read = Array.from({ length: BATCH }, () => mk(newRecordId())); // decoded from "in": ids born at decode
  const srcOut = read.map((r, i) => emit(r, i, null, i));
  const kept = read.filter((_, i) => i % 2 === 0);
  const keepOut = kept.map((r, k) => emit(r, 2 * k, keepTopic, k));
  const mapped = kept.map((r) => mk(newRecordId(), r.headers[HEADER.id]));
  const mapOut = mapped.map((r, k) => emit(r, k, null, k));
  const sinkOut = mapped.map((r, k) => emit(r, k, "t", k));
  const base = { flowId: "f", deploymentId: "d", startedAt: Date.now(), durationMs: 5, transactional: false } as const;
  const events: BatchEvent[] = [
    {
      ...base,
      stageId: "src",
      input: slice("in", o, BATCH),
      nodes: [
        { nodeId: "src", inputs: read, inputOffsets: offs(o, BATCH), bytesIn: 200_000, outputs: srcOut, bytesOut: 200_000, errors: 0 },
        { nodeId: "keep", inputs: read, bytesIn: 200_000, outputs: keepOut, bytesOut: 100_000, errors: 0 },
      ],
      positions: written(keepTopic, h, HALF),
    },
    {
      ...base,
      stageId: "shape",
      input: slice(keepTopic, h, HALF),
      nodes: [
        { nodeId: "shape", inputs: kept, inputOffsets: offs(h, HALF), bytesIn: 100_000, outputs: mapOut, bytesOut: 50_000, errors: 0 },
        { nodeId: "out", inputs: mapped, bytesIn: 50_000, outputs: sinkOut, bytesOut: 50_000, errors: 0 },
      ],
      positions: written("t", h, HALF),
    },
  ];

  const h0 = process.hrtime.bigint();
  if (!process.env.RB_SKIP) for (const e of events) rec.onBatch(e); // RB_SKIP=1: the synthetic batches alone (baseline of the engine CPU figure)
  hot += Number(process.hrtime.bigint() - h0) / 1000;
  await new Promise((r) => setImmediate(r)); // let the writer run, as between real batches
  if (rec.snapshot().queued > 200_000) await rec.flush(); // measure the cost of recording everything (no drops)
}
await rec.drain(300_000);
// the GIN pending lists' merge and ANALYZE are part of the cost, whoever does them later (an INSERT past the limit, or autovacuum): here, as in the bench
const pPending = ticks();
await pool.query("VACUUM (ANALYZE) provenance_batch");
const pendingUs = ticks() - pPending;
const wall = Date.now() - t0;
const c = process.cpuUsage(c0);
const pgUs = ticks() - p0;
const s = rec.snapshot();
const byPosition = (await pool.query<{ n: string }>("SELECT count(*) AS n FROM provenance_batch WHERE in_ids IS NULL")).rows[0]!.n;
// a partitioned table has no size of its own: its partitions' (table, TOAST, indexes)
const bytes = Number(
  (await pool.query<{ b: string }>("SELECT sum(pg_total_relation_size(relid))::text AS b FROM pg_partition_tree('provenance_batch') WHERE isleaf")).rows[0]!.b,
);
console.log(`${RECORDS} records (4 nodes), batches of ${BATCH}: rows ${s.rows}, dropped ${s.droppedRecords}, found by position ${byPosition}, wall ${wall} ms`);
console.log(`table+indexes ${(bytes / 1048576).toFixed(1)} MB: ${(bytes / RECORDS / 4).toFixed(1)} bytes per record per node`);
console.log(`hot path (onBatch): ${(hot / RECORDS).toFixed(2)} µs/record`);
console.log(`engine process CPU (hot path + writer + synthetic batch making): ${((c.user + c.system) / RECORDS).toFixed(2)} µs/record`);
console.log(`Postgres CPU (all of the cluster: INSERTs, GIN, autovacuum, then VACUUM (ANALYZE)): ${(pgUs / RECORDS).toFixed(2)} µs/record, of which the final VACUUM ${(pendingUs / RECORDS).toFixed(2)}`);
await rec.close();
await pool.end();
await db.drop();
