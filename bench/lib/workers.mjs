// B1 over more cores: the durable variant on engines started with MILLRACE_WORKERS = 1, 2, … (all
// cores), each on its own database so no other engine runs its flows.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { findPgBin } from "../../scripts/postgres/index.mjs";
import { startEngineProcess } from "./env.mjs";
import { runVariant } from "./millrace.mjs";
import { trpcClient } from "./trpc.mjs";
import { engineRssKb, log, round, sleep } from "./util.mjs";

/** `--workers 1,2,all` → [1, 2, cores], duplicates dropped, in order. */
export function workerCounts(spec, cores) {
  const counts = spec
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)
    .map((s) => (s === "all" ? cores : Number(s)));
  for (const n of counts) if (!Number.isInteger(n) || n < 1) throw new Error(`--workers: "${spec}" is not a list of worker counts (whole numbers ≥ 1, or all)`);
  return [...new Set(counts)];
}

/** A new database `name` on the bench's Postgres server; answers its URL. */
export function createDatabase(serverUrl, name) {
  const bin = findPgBin();
  const r = spawnSync(join(bin, "psql"), [serverUrl, "-Atqc", `CREATE DATABASE ${name}`], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`CREATE DATABASE ${name} failed: ${r.stderr}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Waits until the engine reports all its runtime workers up (millrace_workers_ready at /metrics). */
async function workersReady(engine, expected, timeoutMs = 90_000) {
  if (expected === 0) return;
  const end = Date.now() + timeoutMs;
  for (;;) {
    const text = await fetch(`${engine.url}/metrics`, { headers: { authorization: `Bearer ${engine.token}` } }).then((r) => r.text()).catch(() => "");
    const ready = Number(text.match(/^millrace_workers_ready(?:\{[^}]*\})? (\d+)$/m)?.[1] ?? 0);
    if (ready >= expected) return;
    if (Date.now() > end) throw new Error(`only ${ready} of ${expected} runtime workers came up within ${timeoutMs / 1000} s:\n${engine.tail().slice(-1500)}`);
    await sleep(250);
  }
}

/**
 * For each worker count: a fresh engine (MILLRACE_WORKERS=n) on its own database, an unreported
 * warm-up run, then the measured durable run; the engine is stopped before the next count.
 */
export async function runWorkerScaling({ root, dir, brokers, kafka, admin, pg, input, records, runId, counts, nodeFlags }) {
  const runs = [];
  for (const n of counts) {
    const databaseUrl = createDatabase(pg.url, `bench_workers_${n}`);
    const engine = await startEngineProcess({ root, dir, brokers, databaseUrl, nodeFlags, env: { MILLRACE_WORKERS: String(n) }, logName: `engine-workers-${n}.log` });
    try {
      await workersReady(engine, n - 1);
      const api = trpcClient(engine.url, engine.token);
      const common = { api, kafka, admin, engine, pg: { ...pg, url: databaseUrl }, input, records, runId };
      await runVariant({ ...common, variant: { name: `workers${n}-warmup` } });
      const r = await runVariant({ ...common, variant: { name: `workers${n}` } });
      const rss = engineRssKb(engine.pid);
      runs.push({ workers: n, rps: r.rps === null ? null : round(r.rps), seconds: r.seconds, cpuSeconds: r.cpuSeconds, rss_mb: round(rss.totalKb / 1024), rss_mb_each: rss.eachKb.map((k) => round(k / 1024)) });
      log(`Millrace durable with ${n} worker(s): ${Math.round(r.rps ?? 0).toLocaleString()} records/s; engine CPU ${r.cpuSeconds?.engine} s; RSS ${round(rss.totalKb / 1024)} MB over ${rss.eachKb.length} process(es)`);
    } catch (e) {
      runs.push({ workers: n, rps: null, error: String(e?.message ?? e).split("\n")[0] });
      log(`workers=${n}: ${e?.message ?? e}`);
    } finally {
      await engine.stop();
    }
  }
  return runs;
}
