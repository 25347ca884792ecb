// The recorder alone, on synthetic batches shaped like generate → map → kafka-sink (1,000 records
// per batch): CPU of the hot path (onBatch), of the writer in this process, and of the Postgres
// backend that runs the INSERTs (GIN maintenance included), per record.
//
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:55432/postgres node --import tsx apps/engine/src/provenance/recorder.bench.ts [records=300000]
import { readFileSync } from "node:fs";
import pg from "pg";
import { migrate } from "@millrace/db";
import { HEADER, type MRecord } from "@millrace/processors";
import { createTestDatabase } from "@millrace/testkit";
import { planFlow } from "../planner/index.js";
import { catalog } from "@millrace/processors";
import type { BatchEvent, Emitted } from "../runtime/observer.js";
import { newRecordId } from "../runtime/records.js";
import { flowDoc } from "../runtime/test-helpers.js";
import { ProvenanceRecorder } from "./recorder.js";

const RECORDS = Number(process.argv[2] ?? 300_000);
const BATCH = 1000;
const db = await createTestDatabase("rbench");
await migrate(db.url);
// RB_PG_OPTIONS="-c gin_pending_list_limit=65536" tries session settings of the writer's connection
const pool = new pg.Pool({ connectionString: db.url, max: 1, ...(process.env.RB_PG_OPTIONS ? { options: process.env.RB_PG_OPTIONS } : {}) });
const backend = (await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
const ticks = () => {
  const f = readFileSync(`/proc/${backend}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) * 10_000; // clock ticks (100/s) → µs
};
const doc = flowDoc("f", [["gen", "generate", { count: 1 }], ["shape", "map", { expression: "value" }], ["out", "kafka-sink", { topic: "t" }]], [["gen", "success", "shape"], ["shape", "success", "out"]]);
const plan = planFlow(doc, { get: (t) => catalog.get(t) as never });
const rec = new ProvenanceRecorder({ pool, engineId: "bench", plans: () => plan, flushIntervalMs: 200 });
rec.start();

const mk = (id: string, parent?: string): MRecord => ({ value: { id: 1, total: 2 }, headers: parent ? { [HEADER.id]: id, [HEADER.parents]: parent } : { [HEADER.id]: id } });
let hot = 0;
const c0 = process.cpuUsage();
const p0 = ticks();
const t0 = Date.now();
for (let done = 0, off = 0; done < RECORDS; done += BATCH) {
  const created = Array.from({ length: BATCH }, () => mk(newRecordId()));
  const genOut: Emitted[] = created.map((r) => ({ port: "success", record: r, parent: -1, topics: ["mr.f.gen.success"], bytes: 40 }));
  const mapped = created.map((r) => mk(newRecordId(), r.headers[HEADER.id]));
  const mapOut: Emitted[] = mapped.map((r, i) => ({ port: "success", record: r, parent: i, topics: ["mr.f.shape.success"], bytes: 40 }));
  const sinkOut: Emitted[] = mapped.map((r, i) => ({ port: "success", record: r, parent: i, topics: ["t"], bytes: 40 }));
  const offsets = Array.from({ length: BATCH }, (_, i) => String(off + i));
  const base = { flowId: "f", deploymentId: "d", startedAt: Date.now(), durationMs: 5, transactional: false } as const;
  const events: BatchEvent[] = [
    { ...base, stageId: "gen", input: null, nodes: [{ nodeId: "gen", inputs: [], bytesIn: 0, outputs: genOut, bytesOut: 40_000, errors: 0 }] },
    { ...base, stageId: "shape", input: { topic: "mr.f.gen.success", partition: 0, firstOffset: String(off), lastOffset: String(off + BATCH - 1) }, nodes: [{ nodeId: "shape", inputs: created, inputOffsets: offsets, bytesIn: 40_000, outputs: mapOut, bytesOut: 40_000, errors: 0 }] },
    { ...base, stageId: "out", input: { topic: "mr.f.shape.success", partition: 0, firstOffset: String(off), lastOffset: String(off + BATCH - 1) }, nodes: [{ nodeId: "out", inputs: mapped, inputOffsets: offsets, bytesIn: 40_000, outputs: sinkOut, bytesOut: 40_000, errors: 0 }] },
  ];
  off += BATCH;
  const h0 = process.hrtime.bigint();
  for (const e of events) rec.onBatch(e);
  hot += Number(process.hrtime.bigint() - h0) / 1000;
  await new Promise((r) => setImmediate(r)); // let the writer run, as between real batches
  if (rec.snapshot().queued > 200_000) await rec.flush(); // measure the cost of recording everything (no drops)
}
await rec.drain(300_000);
// the GIN pending lists' merge is part of the cost, whoever does it later (an INSERT past the limit, or autovacuum): do it here
const pPending = ticks();
for (const ix of ["provenance_batch_in_ids_idx", "provenance_batch_out_ids_idx"]) await pool.query("SELECT gin_clean_pending_list($1::regclass)", [ix]);
const pendingUs = ticks() - pPending;
const wall = Date.now() - t0;
const c = process.cpuUsage(c0);
const pgUs = ticks() - p0;
const s = rec.snapshot();
const size = (await pool.query<{ s: string }>("SELECT pg_size_pretty(pg_total_relation_size('provenance_batch')) AS s")).rows[0]!.s;
console.log(`${RECORDS} records (3 nodes each): rows ${s.rows}, dropped ${s.droppedRecords}, wall ${wall} ms, table+indexes ${size}`);
console.log(`hot path (onBatch): ${(hot / RECORDS).toFixed(2)} µs/record`);
console.log(`engine process CPU (hot path + writer + synthetic batch making): ${((c.user + c.system) / RECORDS).toFixed(2)} µs/record`);
console.log(`Postgres backend CPU (INSERT + GIN, pending lists merged at the end): ${(pgUs / RECORDS).toFixed(2)} µs/record, of which the final merge ${(pendingUs / RECORDS).toFixed(2)}`);
await rec.close();
await pool.end();
await db.drop();
