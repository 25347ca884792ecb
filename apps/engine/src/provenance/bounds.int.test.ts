// Provenance bounded by size: the table is partitioned (migration 0011), the janitor starts a new
// partition at a tenth of the bound and drops the oldest beyond it. Real Postgres, synthetic
// batches of a generate node (as the runtime reports them).
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "@millrace/db";
import { catalog, HEADER } from "@millrace/processors";
import { createTestDatabase } from "@millrace/testkit";
import { planFlow } from "../planner/index.js";
import type { BatchEvent } from "../runtime/observer.js";
import { newRecordId } from "../runtime/records.js";
import { flowDoc } from "../../test-support/index.js";
import { ProvenanceRepository } from "../db/provenance.js";
import { logger } from "../log.js";
import { ProvenanceJanitor } from "./bounds.js";
import { ProvenanceRecorder } from "./recorder.js";
import { ProvenanceStore } from "./store.js";

const MB = 1024 * 1024;
const doc = flowDoc("capped", [["gen", "generate", { count: 0 }]], []);
const plan = planFlow(doc, { get: (t) => catalog.get(t) as never });

/** A generate node's batch of `n` new records; returns their ids too. */
function generated(n: number): { event: BatchEvent; ids: string[] } {
  const ids = Array.from({ length: n }, () => newRecordId());
  const outputs = ids.map((id, i) => ({ port: "success", record: { value: { i, pad: `${id}-${i * 7919}` }, headers: { [HEADER.id]: id } }, parent: -1, topics: [] }));
  const event = {
    flowId: "capped",
    deploymentId: "d1",
    stageId: "gen",
    input: null,
    startedAt: Date.now(),
    durationMs: 1,
    transactional: false,
    nodes: [{ nodeId: "gen", inputs: [], bytesIn: 0, outputs, bytesOut: 0, errors: 0 }],
  } as unknown as BatchEvent;
  return { event, ids };
}

describe("provenance capped by size", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;
  let rows: ProvenanceRepository;
  beforeAll(async () => {
    db = await createTestDatabase("provcap");
    await migrate(db.url);
    pool = new pg.Pool({ connectionString: db.url, max: 3 });
    rows = new ProvenanceRepository(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it("drops the oldest partitions whole beyond MILLRACE_PROVENANCE_MAX_MB; the latest records' lineage still answers", async () => {
    const bounds = { maxBytes: 3 * MB, retentionHours: 24 };
    const recorder = new ProvenanceRecorder({ repository: rows, engineId: "e", plans: () => plan });
    recorder.seedPlan("d1", plan);
    const janitor = new ProvenanceJanitor(rows, bounds, logger, 3_600_000);
    const store = new ProvenanceStore(rows);
    let firstId: string | undefined;
    let lastId = "";
    let written = 0;
    const totals: number[] = [];
    // write until the janitor has dropped partitions a few times
    for (let round = 0; round < 200 && janitor.stats.droppedPartitions < 3; round++) {
      for (let b = 0; b < 10; b++) {
        const { event, ids } = generated(1000);
        firstId ??= ids[0];
        lastId = ids.at(-1)!;
        written += ids.length;
        recorder.onBatch(event);
      }
      await recorder.drain();
      await janitor.runOnce();
      totals.push(janitor.stats.bytes);
    }
    expect(janitor.stats.droppedPartitions).toBeGreaterThanOrEqual(3);
    // far more was written than is kept: the bound held after every round (plus the current partition's growth of one round)
    const parts = await rows.partitions();
    const kept = parts.reduce((n, p) => n + p.bytes, 0);
    expect(kept).toBeLessThanOrEqual(bounds.maxBytes + 1.5 * MB);
    expect(Math.max(...totals)).toBeLessThanOrEqual(bounds.maxBytes + 1.5 * MB);
    expect(parts.length).toBeGreaterThan(1);
    // every partition but the newest is one the janitor started; the ones before are gone
    expect(parts[0]!.part).toBeGreaterThan(1);
    const tables = await pool.query<{ n: string }>("SELECT count(*)::text AS n FROM pg_partition_tree('provenance_batch') WHERE isleaf");
    expect(Number(tables.rows[0]!.n)).toBe(parts.length);

    // the oldest record's lineage went with its partition; the newest one's answers
    expect(await store.known(firstId!)).toBeUndefined();
    // ...and its lineage says since when lineage is kept: the oldest partition left
    const gone = await store.lineage(firstId!);
    expect(gone.nodes).toEqual([]);
    expect(gone.keptSince).toBe(parts[0]!.createdAt);
    const latest = await store.lineage(lastId);
    expect(latest.nodes.some((e) => e.recordId === lastId && e.type === "CREATE")).toBe(true);
    expect(written).toBeGreaterThan(100_000);
    await recorder.close();
    await janitor.close();
  }, 120_000);

  it("only one engine at a time rolls or drops: a second janitor's round meanwhile is a no-op", async () => {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock(7316013)");
      const r = await rows.maintainPartitions(() => ({ roll: true, drop: [] }));
      expect(r.ran).toBe(false);
      await client.query("ROLLBACK");
    } finally {
      client.release();
    }
    const before = (await rows.partitions()).at(-1)!.part;
    const r = await rows.maintainPartitions(() => ({ roll: true, drop: [] }));
    expect(r.rolledTo).toBe(before + 1);
    // rows go to the new partition without the writer naming it
    const { event, ids } = generated(1);
    const recorder = new ProvenanceRecorder({ repository: rows, engineId: "e", plans: () => plan });
    recorder.seedPlan("d1", plan);
    recorder.onBatch(event);
    await recorder.drain();
    const where = await pool.query<{ part: number }>("SELECT part FROM provenance_batch WHERE $1 = ANY(output_ids)", [ids[0]]);
    expect(where.rows.map((x) => x.part)).toEqual([before + 1]);
    await recorder.close();
  });
});
