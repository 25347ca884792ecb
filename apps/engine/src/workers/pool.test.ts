import { fileURLToPath } from "node:url";
import { Counter, Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "@millrace/testkit";
import { processAlive } from "../../test-support/index.js";
import { logger } from "../log.js";
import { generateSecretKey, SecretBox } from "../secrets/index.js";
import { WorkerPool, type WorkerPoolOptions } from "./pool.js";

const FAKE = fileURLToPath(new URL("../../test-support/fake-runtime-worker.mjs", import.meta.url));

describe("WorkerPool", () => {
  let pool: WorkerPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
    delete process.env.FAKE_WORKER_IGNORE_TERM;
  });

  function start(o: Partial<WorkerPoolOptions> = {}): { pool: WorkerPool; registry: Registry } {
    const registry = new Registry();
    pool = new WorkerPool({ count: 2, engineId: "e1", databaseUrl: "postgres://unused", kafkaBrokers: [], secrets: new SecretBox([generateSecretKey()]), log: logger.child({ module: "workers-test" }, { level: "silent" }), registry, entry: FAKE, restartDelayMs: 50, ...o });
    pool.start();
    return { pool, registry };
  }

  it("starts its workers, names them after the engine and merges their metrics with the engine's under a worker label", async () => {
    const { pool, registry } = start();
    await waitFor(() => pool.status().every((s) => s.ready), 20_000, "both workers ready");
    expect(pool.status().map((s) => s.engineId)).toEqual(["e1/w1", "e1/w2"]);
    registry.setDefaultLabels({ worker: "main" });
    new Counter({ name: "fake_records_total", help: "records", registers: [registry] }).inc(2);
    const { text } = await pool.metrics(registry);
    expect(text).toContain('fake_records_total{worker="main"} 2');
    expect(text).toContain('fake_records_total{worker="w1"} 5');
    expect(text).toContain('fake_records_total{worker="w2"} 5');
    expect(text).toMatch(/^millrace_workers_ready\{worker="main"\} 2$/m);
  });

  it("starts a worker that died again, as a new engine id, and counts the restart", async () => {
    const { pool, registry } = start({ count: 1 });
    const first = await waitFor(() => (pool.status()[0]!.ready ? pool.status()[0]!.pid : undefined), 20_000, "the worker ready");
    process.kill(first, "SIGKILL");
    await waitFor(() => pool.status()[0]!.ready && pool.status()[0]!.pid !== first, 20_000, "the worker started again");
    expect(pool.status()[0]).toMatchObject({ engineId: "e1/w1-r1", restarts: 1 });
    expect(await registry.getSingleMetricAsString("millrace_worker_restarts_total")).toContain('millrace_worker_restarts_total{worker="w1"} 1');
  });

  it("close stops every worker, and kills one that ignores SIGTERM after the grace", async () => {
    process.env.FAKE_WORKER_IGNORE_TERM = "1";
    const { pool: p } = start({ stopGraceMs: 300 });
    await waitFor(() => p.status().every((s) => s.ready), 20_000, "both workers ready");
    const pids = p.status().map((s) => s.pid!);
    await p.close();
    pool = undefined;
    expect(pids.filter(processAlive)).toEqual([]);
    expect(p.status().every((s) => s.pid === undefined)).toBe(true);
  });
});
