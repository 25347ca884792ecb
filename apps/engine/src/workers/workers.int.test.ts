import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, freePort, testBrokers, waitFor } from "@millrace/testkit";
import { flowDoc, processAlive, readTopic, spawnEngine, uid, type EngineProcess } from "../../test-support/index.js";

const N = 60_000;

/** The pid of a runtime worker as its "is running" line names it (the latest start first). */
function workerPid(engine: EngineProcess, name: string, except?: number): number | undefined {
  const pids = [...engine.output().matchAll(new RegExp(`runtime worker ${name} \\(pid (\\d+)\\) is running`, "g"))].map((m) => Number(m[1]));
  return pids.reverse().find((p) => p !== except);
}

describe("MILLRACE_WORKERS=2: the engine and one runtime worker share a flow's consumer stages", () => {
  const brokers = testBrokers();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let engine: EngineProcess | undefined;
  let client: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase("workers");
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    process.env.MILLRACE_WORKERS = "2";
    try {
      engine = await spawnEngine({ port: await freePort(), databaseUrl: db.url, brokers });
    } finally {
      delete process.env.MILLRACE_WORKERS;
    }
  });
  afterAll(async () => {
    await engine?.kill9();
    await client?.end();
    await db?.drop();
  });

  /** Records the map stage took, per engine id (engine_stats rows: the engine, its workers). */
  async function mapInByEngine(flowId: string): Promise<Map<string, number>> {
    const rows = (await client.query(`SELECT engine_id, stats FROM engine_stats WHERE flow_id = $1`, [flowId])).rows;
    return new Map(rows.map((r) => [r.engine_id as string, (r.stats.nodes.inc?.in ?? 0) as number]));
  }

  it("both processes consume; a killed worker is started again and every record arrives", async () => {
    const e = engine!;
    const w1 = await waitFor(async () => workerPid(e, "w1"), 60_000, "runtime worker w1 to run");
    const id = uid("workers");
    const sink = uid("workers-sink");
    const doc = flowDoc(
      id,
      [
        ["gen", "generate", { count: N, ratePerSec: 2000, template: '{ "i": $i }' }],
        ["inc", "map", { expression: '{ "i": value.i, "sq": value.i * value.i }' }],
        ["out", "kafka-sink", { topic: sink }],
      ],
      [["gen", "success", "inc"], ["inc", "success", "out"]],
    );
    await e.api.flows.save.mutate({ document: doc });
    await e.api.deployments.deploy.mutate({ flowId: id });

    // the map stage's partitions are spread: the engine and its worker each count records
    await waitFor(async () => {
      const byEngine = await mapInByEngine(id);
      const worker = [...byEngine].find(([engineId]) => engineId.endsWith("/w1"));
      const main = [...byEngine].find(([engineId]) => !engineId.includes("/"));
      return (worker?.[1] ?? 0) > 0 && (main?.[1] ?? 0) > 0;
    }, 45_000, "the engine and worker w1 to process records of the map stage");
    // the one engine owns the source: a worker never takes a lease
    const status = await e.api.deployments.status.query({ flowId: id });
    expect(status.local.stages.find((s) => s.id === "gen")!.owner).toBe(true);

    // figures of both processes in /metrics, each with its worker label
    const metrics = await fetch(`${e.url}/metrics`, { headers: { authorization: `Bearer ${e.token}` } }).then((r) => r.text());
    expect(metrics).toMatch(/millrace_node_records_in_total\{[^}]*worker="w1"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/millrace_node_records_in_total\{[^}]*worker="main"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/^millrace_workers_ready\{worker="main"\} 1$/m);

    const before = await e.api.stats.snapshot.query({ flowId: id });
    expect(before.nodes.gen.out).toBeLessThan(N); // still mid-run
    process.kill(w1, "SIGKILL");
    const restarted = await waitFor(async () => workerPid(e, "w1", w1), 30_000, "worker w1 to be started again");
    expect(processAlive(w1)).toBe(false);
    expect(e.output()).toMatch(/runtime worker w1 \(pid \d+\) was killed by SIGKILL/);

    // the new worker takes part again (a new engine_stats row: the dead one's totals still count)
    await waitFor(async () => [...(await mapInByEngine(id))].some(([engineId, n]) => engineId.endsWith("/w1-r1") && n > 0), 45_000, "the restarted worker to process records");

    const records = await readTopic(brokers, sink, (rs) => new Set(rs.map((r) => r.value.i)).size >= N, { timeoutMs: 120_000, settleMs: 1000 });
    const distinct = new Set(records.map((r) => r.value.i as number));
    expect(distinct.size).toBe(N); // at-least-once: nothing lost to the kill
    expect(records.every((r) => r.value.sq === r.value.i * r.value.i)).toBe(true);
    await e.api.deployments.stop.mutate({ flowId: id });

    // stopping the engine stops its worker
    await e.stop();
    await waitFor(async () => !processAlive(restarted), 15_000, "the worker to end with the engine");
  });
});
