// `pnpm bench [--quick] [--only b1,b2,b4] [--profile] [--keep]`, `pnpm bench --soak MINUTES`: see bench/README.md.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cleanup, ensureWebBuilt, makeTempDir, startBroker, startEngineProcess, startPg } from "./lib/env.mjs";
import { createTopics, preload, recordJson } from "./lib/data.mjs";
import { rawConsume, rawProduce, RAW_PRODUCER_PROPS } from "./lib/raw.mjs";
import { buildStreamsApp, runStreams } from "./lib/streams.mjs";
import { runLatency, runVariant } from "./lib/millrace.mjs";
import { checkAvroOutput, preloadAvroInput } from "./lib/avro.mjs";
import { runEditor } from "./lib/editor.mjs";
import { runIsolation } from "./lib/isolation.mjs";
import { runMirrorBench } from "./lib/mirror.mjs";
import { runTablesBench } from "./lib/tables.mjs";
import { CDC_CONTENDERS, runCdcBench } from "./lib/cdc.mjs";
import { runWorkerScaling, workerCounts } from "./lib/workers.mjs";
import { runSoak, soakOptions } from "./lib/soak.mjs";
import { trpcClient } from "./lib/trpc.mjs";
import { fmtNum, log, procMem, round, rssSampler } from "./lib/util.mjs";
import { engineNodeFlags } from "../scripts/engine-node-flags.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const flag = (f) => argv.includes(f);
const opt = (name) => {
  const i = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  return argv[i].startsWith(`${name}=`) ? argv[i].slice(name.length + 1) : argv[i + 1];
};
if (flag("--help") || flag("-h")) {
  console.log(`pnpm bench [--quick] [--only b1,b2,b4,b5,b6,b7,b8] [--records N] [--latency-seconds S] [--profile] [--keep]
  --quick            50k records, 15 s latency, 1 editor load (under 2 minutes)
  --only LIST        run only some parts (b1 includes raw, Streams, the Avro variant and B3; b6 mirror vs MirrorMaker 2;
                     b7 count by key vs Kafka Streams and the restore of a table of --records keys;
                     b8 --records changes captured from Postgres into Kafka, postgres-cdc vs Debezium's connector)
  --b8 LIST          B8's contenders only (default ${CDC_CONTENDERS.join(",")}), e.g. millrace with --profile
  --profile          run the engine with --cpu-prof; the .cpuprofile lands in bench/results/profiles/
  --keep             keep the temp dir (broker, Postgres, engine log)
  --workers LIST     B1 durable on engines with MILLRACE_WORKERS = each count (default 1,2,all; all = cores; none to skip)
  --engine-node-flags "F"  node flags for the engine process instead of the ones "pnpm start" uses
pnpm bench --soak MINUTES [--env KEY=VALUE]... [--keep]
  --soak MINUTES     only the soak: "pnpm start" (fresh data dir) under an endless 10,000 records/s flow with
                     provenance on; every minute rate, lag, engine/Postgres/broker RSS, data sizes, provenance size
  --env KEY=VALUE    extra environment for "pnpm start" (repeatable), e.g. --env MILLRACE_PROVENANCE_MAX_MB=40`);
  process.exit(0);
}
let soak;
try {
  soak = soakOptions(argv);
} catch (e) {
  console.error(`[bench] ${e.message}`);
  process.exit(2);
}
const quick = flag("--quick");
const only = new Set((opt("--only") ?? "b1,b2,b4,b5,b6,b7,b8").split(",").map((s) => s.trim().toLowerCase()));
const RECORDS = Number(opt("--records") ?? (quick ? 50_000 : 1_000_000));
const LAT_SECONDS = Number(opt("--latency-seconds") ?? (quick ? 15 : 60));
const LOADS = quick ? 1 : 3;
const WORKER_COUNTS = opt("--workers") === "none" ? [] : workerCounts(opt("--workers") ?? "1,2,all", cpus().length);
// Default: the flags `pnpm start` runs the engine with, so B3 measures what users get.
const ENGINE_NODE_FLAGS = opt("--engine-node-flags") !== undefined ? opt("--engine-node-flags").split(/\s+/).filter(Boolean) : engineNodeFlags();
const runId = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-").toLowerCase();

const VARIANTS = [
  // an unreported warm-up (the engine's JIT and heap: the first variant measured 1.4× slower than
  // the same one later), then provenance on (durable) and off (noprov) on the same input in A-B-B-A
  // order (the machine's load drifts; the on/off ratio is taken over both pairs), then the rest
  { name: "warmup", label: "warm-up, not reported" },
  { name: "durable", key: "millrace_rps", label: "durable edges, at-least-once (provenance as deployed by default)" },
  { name: "noprov", key: "millrace_noprov_rps", provenance: false, label: "provenance off" },
  { name: "noprov2", provenance: false, label: "provenance off, second run (ratio only)" },
  { name: "durable2", provenance: true, label: "provenance on, second run (ratio only)" },
  // after the JSON durable pair, same flow and records, Avro in and out (compared with both of them)
  { name: "avro", key: "millrace_avro_rps", format: "avro", label: "durable, Avro in and out (provenance as deployed by default)" },
  { name: "fused", key: "millrace_fused_rps", fused: true, label: "fused edges (one stage)" },
  { name: "eos", key: "millrace_eos_rps", exactlyOnce: true, label: "exactly-once (transactions)" },
];
// `--edge-partitions 3,6`: durable variants whose edge topics have that many partitions (and as
// many concurrent partitions per reader), A-B-B-A with the default, to judge the planner's default
const EDGE_PARTITIONS = (opt("--edge-partitions") ?? "").split(",").map(Number).filter((n) => n > 0);
if (EDGE_PARTITIONS.length) {
  const seq = [...EDGE_PARTITIONS, ...[...EDGE_PARTITIONS].reverse()];
  VARIANTS.push(...seq.map((p, i) => ({ name: `edges-p${p}-${i < EDGE_PARTITIONS.length ? "a" : "b"}`, partitions: p, label: `durable, ${p} partitions per edge topic` })));
}

/** Phase timings, printed at the end of the run (and kept in details.phases). */
const phases = [];
async function phase(name, fn) {
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    phases.push({ name, seconds: round((Date.now() - t0) / 1000, 1) });
  }
}

function javaVersion() {
  const r = spawnSync("java", ["-version"], { encoding: "utf8" });
  return `${r.stderr}${r.stdout}`.split("\n")[0]?.trim();
}

async function main() {
  const started = Date.now();
  const results = {
    date: new Date().toISOString(),
    mode: (quick ? "quick" : "full") + (opt("--only") || opt("--b8") || opt("--workers") || opt("--records") || opt("--latency-seconds") || opt("--edge-partitions") || opt("--engine-node-flags") !== undefined ? "-partial" : ""),
    machine: { cores: cpus().length, memory_gb: round(totalmem() / 2 ** 30, 1), cpu: cpus()[0]?.model, node: process.version, java: javaVersion(), loadavg_at_start: loadavg().map((x) => round(x, 2)) },
    throughput: { millrace_rps: null, millrace_fused_rps: null, millrace_eos_rps: null, millrace_noprov_rps: null, millrace_avro_rps: null, streams_rps: null, raw_produce_rps: null, raw_consume_rps: null },
    latency_ms: { p50: null, p95: null, p99: null },
    rss_mb: null,
    editor: { render_ms: null, drag_fps: null },
    editor_5k: { render_ms: null, drag_fps: null },
    ratios: {},
    details: { records: RECORDS, latency_seconds: LAT_SECONDS, raw_producer_props: RAW_PRODUCER_PROPS, engine_node_flags: ENGINE_NODE_FLAGS },
    notes: [],
  };
  const note = (m) => {
    results.notes.push(m);
    log(`NOTE: ${m}`);
  };

  if (loadavg()[0] > cpus().length) note(`the machine was busy when the bench started (load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores): figures are lower and noisier than on an idle machine`);
  const tmp = makeTempDir(flag("--keep"));
  log(`temp dir ${tmp}; ${RECORDS.toLocaleString()} records, latency ${LAT_SECONDS} s${quick ? " (quick)" : ""}`);
  // everything independent starts at once: web build, broker, Postgres (the Streams build and the
  // preload follow the broker; the engine follows broker + Postgres + web build)
  const [web, broker, pg] = await Promise.all([
    only.has("b4") ? phase("web build (skipped when apps/web/dist is fresh)", () => ensureWebBuilt(root)) : undefined,
    phase("start Kafka broker", () => startBroker(tmp)),
    phase("start Postgres", () => startPg(tmp)),
  ]);
  log(`Kafka at ${broker.brokers}, Postgres at ${pg.url}`);
  const profDir = flag("--profile") ? join(root, "bench/results/profiles", runId) : undefined;
  if (profDir) mkdirSync(profDir, { recursive: true });
  const { kafka, admin } = broker;
  const input = `bench-b1-in-${runId}`;
  const avroInput = `bench-b1-in-avro-${runId}`;
  const rawTopic = `bench-raw-${runId}`;
  const streamsOut = `bench-streams-out-${runId}`;
  let classpath;
  const [engine] = await Promise.all([
    phase("start engine", () => startEngineProcess({ root, dir: tmp, brokers: broker.brokers, databaseUrl: pg.url, webDist: web?.dist, cpuProfDir: profDir, nodeFlags: ENGINE_NODE_FLAGS })),
    (only.has("b1") || only.has("b7")) &&
      phase("topics + Streams build + preload", async () => {
        if (only.has("b1")) await createTopics(admin, [input, avroInput, rawTopic, streamsOut]);
        [classpath] = await Promise.all([buildStreamsApp(root), only.has("b1") && preload(kafka, input, RECORDS)]);
      }),
  ]);
  log(`engine pid ${engine.pid} at ${engine.url} (log ${engine.logFile})`);
  const api = trpcClient(engine.url, engine.token);

  if (only.has("b1")) {
    // the Avro input's schema id comes from the engine's registry, so its preload follows the engine
    const avroIn = await phase("B1 Avro input (register + preload)", () => preloadAvroInput({ kafka, engine, topic: avroInput, records: RECORDS })).catch((e) => {
      note(`millrace_avro_rps = null: the Avro input could not be prepared: ${String(e?.message ?? e).split("\n")[0]}`);
      return undefined;
    });
    // (a) raw limit
    const rp = await phase("B1 raw produce", () => rawProduce({ jars: broker.jars, brokers: broker.brokers, topic: rawTopic, records: RECORDS }));
    await admin.deleteTopics({ topics: [rawTopic] }).catch(() => {});
    const rc = await phase("B1 raw consume", () => rawConsume({ jars: broker.jars, brokers: broker.brokers, topic: input, records: RECORDS }));
    results.throughput.raw_produce_rps = round(rp.rps);
    results.throughput.raw_consume_rps = round(rc.rps);
    results.details.raw = { produce: rp, consume: rc };

    // (b) Kafka Streams
    const st = await phase("B1 Kafka Streams", () => runStreams({ classpath, brokers: broker.brokers, admin, input, output: streamsOut, records: RECORDS, tmpDir: tmp }));
    results.throughput.streams_rps = round(st.rps);
    results.details.streams = st;
    await admin.deleteTopics({ topics: [streamsOut] }).catch(() => {});

    // Millrace variants; B3 = the engine's peak RSS over them
    const rss = rssSampler(engine.pid, 200);
    results.details.millrace = {};
    const capabilities = {};
    for (const v of VARIANTS) {
      const avro = v.format === "avro";
      if (avro && !avroIn) continue;
      const verify = avro ? (output) => checkAvroOutput({ kafka, engine, topic: output, records: RECORDS }) : undefined;
      try {
        const r = await phase(`B1 Millrace ${v.name}`, () => runVariant({ api, kafka, admin, engine, pg, input: avro ? avroInput : input, records: RECORDS, runId, variant: v, capabilities, verify }));
        results.details.millrace[v.name] = r;
        if (v.key) results.throughput[v.key] = round(r.rps);
        if (r.rps === null) note(`${v.key} = null: ${r.reason}`);
      } catch (e) {
        results.details.millrace[v.name] = { rps: null, error: String(e?.message ?? e) };
        note(`${v.key} = null: the run failed: ${String(e?.message ?? e).split("\n")[0]}`);
        log(String(e?.message ?? e));
      }
    }
    rss.stop();
    results.details.avro = avroVsJson(results.details.millrace, RECORDS, avroIn);
    if (results.details.avro) {
      const a = results.details.avro;
      log(`avro vs json (durable): ${fmtNum(a.avro.rps)} vs ${fmtNum(a.json.rps)} records/s; engine CPU ${a.avro.engine_cpu_us_per_record} vs ${a.json.engine_cpu_us_per_record} µs/record (${signed(a.engine_cpu_us_per_record_diff, 2)}, ×${a.engine_cpu_ratio})`);
    }
    const hwm = procMem(engine.pid)?.hwmKb ?? rss.peakKb;
    results.rss_mb = round(hwm / 1024);
    results.details.rss = { vmhwm_mb: round(hwm / 1024), sampled_peak_mb: round(rss.peakKb / 1024), note: "VmHWM of the engine process after B1 (peak since its start)" };
    log(`B3 engine peak RSS: ${results.rss_mb} MB`);
    if (WORKER_COUNTS.length) {
      // after B3: the engine's RSS figure is for the default of one process
      const runs = await phase("B1 Millrace workers", () => runWorkerScaling({ root, dir: tmp, brokers: broker.brokers, kafka, admin, pg, input, records: RECORDS, runId, counts: WORKER_COUNTS, nodeFlags: ENGINE_NODE_FLAGS }));
      results.workers = { cores: cpus().length, runs };
      results.throughput.millrace_workers_rps = Object.fromEntries(runs.map((r) => [String(r.workers), r.rps]));
      for (const r of runs) if (r.rps === null) note(`workers=${r.workers}: the run failed: ${r.error}`);
    }
    const m = results.details.millrace;
    const ons = [m.durable, m.durable2].filter((x) => x?.rps);
    const offs = [m.noprov, m.noprov2].filter((x) => x?.rps);
    if (ons.length && offs.length) {
      const secs = (xs, k) => xs.reduce((a, x) => a + (k(x) ?? NaN), 0);
      const cpu = (x) => x.cpuSeconds.engine + (x.cpuSeconds.postgres ?? 0);
      const cpuDrained = (x) => (x.provenance?.cpuSecondsUntilDrained ? x.provenance.cpuSecondsUntilDrained.engine + (x.provenance.cpuSecondsUntilDrained.postgres ?? 0) : cpu(x));
      results.details.provenance = {
        runs: { on: ons.length, off: offs.length },
        // records/s over all on runs ÷ over all off runs (each run has the same N)
        on_vs_off_wall: round(secs(offs, (x) => x.seconds) / offs.length / (secs(ons, (x) => x.seconds) / ons.length), 3),
        on_vs_off_wall_until_drained: round(secs(offs, (x) => x.seconds) / offs.length / (secs(ons, (x) => Math.max(x.seconds, x.provenance?.drainedSeconds ?? x.seconds)) / ons.length), 3),
        // CPU (engine + Postgres) per record, off ÷ on: insensitive to the other load on the machine
        on_vs_off_cpu: round(secs(offs, cpu) / offs.length / (secs(ons, cpuDrained) / ons.length), 3),
        droppedRecords: ons.reduce((a, x) => a + (x.provenance?.droppedRecords ?? 0), 0),
      };
      const p = results.details.provenance;
      log(`provenance on/off over ${ons.length}+${offs.length} runs: wall ${p.on_vs_off_wall} (until written ${p.on_vs_off_wall_until_drained}), CPU ${p.on_vs_off_cpu}`);
      if (p.droppedRecords) note(`provenance dropped ${p.droppedRecords} record ids (Postgres did not keep up): those records' lineage is not queryable`);
    }
  }

  if (only.has("b2")) {
    try {
      const lat = await phase("B2 latency", () => runLatency({ api, kafka, admin, runId, rate: 5000, seconds: LAT_SECONDS, drainMs: quick ? 15_000 : 30_000 }));
      results.latency_ms = { p50: lat.p50, p95: lat.p95, p99: lat.p99 };
      results.details.latency = lat;
      if (lat.received < lat.sent) note(`latency: only ${lat.received} of ${lat.sent} records reached the sink within 30 s after the feed stopped; the percentiles cover those only, so the true ones are higher (the flow did not keep up with ${lat.rate}/s)`);
    } catch (e) {
      note(`latency = null: ${String(e?.message ?? e).split("\n")[0]}`);
    }
  }

  if (only.has("b5")) {
    try {
      const iso = await phase("B5 isolation", () => runIsolation({ api, kafka, admin, engine, runId, records: Math.min(RECORDS, quick ? 50_000 : 200_000) }));
      results.isolation = { healthy_beside_poison_vs_alone: iso.ratio };
      results.details.isolation = iso;
      if (!iso.engine_alive) note("B5: the engine died beside the poison flow");
    } catch (e) {
      results.isolation = { healthy_beside_poison_vs_alone: null };
      note(`isolation = null: ${String(e?.message ?? e).split("\n")[0]}`);
    }
  }

  if (only.has("b6")) {
    try {
      results.mirror = await phase("B6 mirror", () => runMirrorBench({ dir: tmp, api, engine, runId, records: RECORDS }));
      if (!results.mirror.details.millrace?.partitionsMatch) note("B6: Millrace's target partitions do not hold what the source partitions hold");
      if (!results.mirror.details.mm2.partitionsMatch) note("B6: MirrorMaker 2's target partitions do not hold what the source partitions hold");
    } catch (e) {
      results.mirror = { mm2: null, millrace: null, ratio: null };
      note(`mirror = null: ${String(e?.message ?? e).split("\n")[0]}`);
      log(String(e?.message ?? e));
    }
  }

  if (only.has("b7")) {
    try {
      const b7 = await phase("B7 count by key + restore", () => runTablesBench({ root, dir: tmp, brokers: broker.brokers, kafka, admin, pg, classpath, records: RECORDS, runId, nodeFlags: ENGINE_NODE_FLAGS, profDir }));
      results.throughput.streams_count_rps = round(b7.streams.rps);
      results.throughput.millrace_count_rps = round(b7.millrace.rps);
      results.tables = { count_keys: b7.keys, restore_keys: b7.restore.keys, restore_seconds: b7.restore.seconds, restore_max_partition_ms: b7.restore.maxPartitionMs };
      results.details.tables = b7;
      if (!b7.restore.answered) note("B7: after the restore tables.get did not answer the probe keys' counts");
    } catch (e) {
      note(`B7 = null: ${String(e?.message ?? e).split("\n")[0]}`);
      log(String(e?.message ?? e));
    }
  }

  if (only.has("b8")) {
    try {
      const b8 = await phase("B8 change data capture", () => runCdcBench({ root, dir: tmp, brokers: broker.brokers, kafka, admin, pg, api, engine, records: RECORDS, runId, contenders: opt("--b8")?.split(",") ?? (quick ? CDC_CONTENDERS.slice(0, 2) : CDC_CONTENDERS), quick }));
      results.throughput.debezium_cdc_cps = round(b8.debezium?.changesPerSec);
      results.throughput.millrace_cdc_cps = round(b8.millrace?.changesPerSec);
      results.throughput.millrace_cdc_eos_cps = round(b8.millrace_eos?.changesPerSec);
      if (b8.millrace_noprov) results.throughput.millrace_cdc_noprov_cps = round(b8.millrace_noprov.changesPerSec);
      // lag commit → Kafka append: at a steady rate both keep up with (paced), and under the full-speed load
      const lag = (x) => (x ? { paced: x.pacedLagMs, under_load: x.lagMs } : null);
      results.cdc = { paced_changes_per_sec: (b8.debezium ?? b8.millrace ?? b8.millrace_eos)?.paced.changesPerSec, lag_ms: { debezium: lag(b8.debezium), millrace: lag(b8.millrace), millrace_eos: lag(b8.millrace_eos), millrace_noprov: lag(b8.millrace_noprov) } };
      results.details.cdc = b8;
    } catch (e) {
      note(`B8 = null: ${String(e?.message ?? e).split("\n")[0]}`);
      log(String(e?.message ?? e));
    }
  }

  if (only.has("b4")) {
    // `editor` keeps the 1,000-node figures (earlier results compare with it); `editor_5k` beside it
    for (const [size, key] of [["1k", "editor"], ["5k", "editor_5k"]]) {
      try {
        const ed = await phase(`B4 editor ${size}`, () => runEditor({ root, api, engineUrl: engine.url, runId, size, loads: LOADS, warmup: !quick, timeoutMs: quick ? 30_000 : 90_000 }));
        results[key] = { render_ms: ed.render_ms, drag_fps: ed.drag_fps, nodes: ed.nodes, edges: ed.edges };
        results.details[key] = ed;
        if (ed.timed_out) note(`${key} render_ms = null, drag_fps = null: ${ed.reason}`);
        else if (!ed.all_visible) note(`${key}: after the fit only ${ed.visible.inside} of ${ed.visible.nodes} nodes are inside the canvas (zoom ${ed.visible.zoom}): the designer's minZoom stops the fit`);
      } catch (e) {
        note(`${key} = null: ${String(e?.message ?? e).split("\n")[0]}`);
      }
    }
  }

  // ratios against the goals listed in bench/README.md
  const t = results.throughput;
  const div = (a, b) => (a == null || b == null || !b ? null : round(a / b, 2));
  const rawLimit = t.raw_produce_rps == null || t.raw_consume_rps == null ? null : Math.min(t.raw_produce_rps, t.raw_consume_rps);
  results.ratios = {
    millrace_vs_streams: div(t.millrace_rps, t.streams_rps),
    millrace_vs_raw: div(t.millrace_rps, rawLimit),
    fused_vs_durable: div(t.millrace_fused_rps, t.millrace_rps),
    eos_vs_at_least_once: div(t.millrace_eos_rps, t.millrace_rps),
    // A-B-B-A: mean time of the off runs ÷ mean time of the on runs (same N each)
    provenance_on_vs_off: results.details.provenance?.on_vs_off_wall ?? div(t.millrace_rps, t.millrace_noprov_rps),
    // the same, the on runs counted until the recorder has written every row (lineage queryable)
    provenance_on_drained_vs_off: results.details.provenance?.on_vs_off_wall_until_drained ?? null,
    // engine + Postgres CPU per record, off ÷ on (what provenance costs, whatever else runs)
    provenance_on_vs_off_cpu: results.details.provenance?.on_vs_off_cpu ?? null,
    // B6: Millrace's mirror records/s ÷ MirrorMaker 2's, same clusters and topic
    mirror_vs_mm2: results.mirror?.ratio ?? null,
    // B7: count by key, Millrace's aggregate records/s ÷ Kafka Streams' groupByKey().count(), same input
    count_vs_streams: div(t.millrace_count_rps, t.streams_count_rps),
    // B8: changes/s from Postgres into Kafka, Millrace's postgres-cdc ÷ Debezium's connector, same database, broker and load
    cdc_vs_debezium: div(t.millrace_cdc_cps, t.debezium_cdc_cps),
    cdc_eos_vs_debezium: div(t.millrace_cdc_eos_cps, t.debezium_cdc_cps),
    // Avro in and out ÷ JSON, same flow and records: records/s, and engine CPU per record (Avro ÷ JSON)
    avro_vs_json: results.details.avro?.rps_ratio ?? null,
    avro_vs_json_engine_cpu: results.details.avro?.engine_cpu_ratio ?? null,
    // durable records/s with N processes ÷ with the engine process alone (fresh engines, same input)
    ...Object.fromEntries((results.workers?.runs ?? []).filter((r) => r.workers > 1).map((r) => [`workers_${r.workers}_vs_1`, div(r.rps, t.millrace_workers_rps?.["1"])])),
  };
  results.details.seconds = round((Date.now() - started) / 1000, 1);
  results.details.phases = phases;
  results.machine.loadavg_at_end = loadavg().map((x) => round(x, 2));
  if (engine.child.exitCode !== null || engine.child.signalCode !== null) note(`the engine process died during the bench; its last output:\n${engine.tail().slice(-1500)}`);

  if (profDir) {
    await engine.stop();
    results.details.profile = readdirSync(profDir).map((f) => join(profDir, f));
    log(`CPU profile(s): ${results.details.profile.join(", ")}`);
  }

  const dir = join(root, "bench/results");
  mkdirSync(dir, { recursive: true });
  const latest = join(dir, "latest.json");
  writeFileSync(latest, JSON.stringify(results, null, 2) + "\n");
  copyFileSync(latest, join(dir, `${runId}-${results.mode}.json`));
  printTable(results, rawLimit);
  console.log(`\nphases (s): ${phases.map((p) => `${p.name} ${p.seconds}`).join(" · ")}`);
  console.log(`\nwrote ${latest} (and bench/results/${runId}-${results.mode}.json) in ${results.details.seconds} s`);
}

/**
 * The Avro variant against the JSON durable runs around it (durable, durable2: same flow, same
 * records, provenance on as by default): records/s and engine CPU per record.
 */
function avroVsJson(m, records, avroIn) {
  const jsons = [m.durable, m.durable2].filter((x) => x?.rps);
  if (!m.avro?.rps || !jsons.length) return undefined;
  const us = (x) => (x.cpuSeconds.engine / records) * 1e6;
  const mean = (k) => jsons.reduce((a, x) => a + k(x), 0) / jsons.length;
  // records/s over the mean time (each run has the same N)
  const json = { runs: jsons.length, rps: round(records / mean((x) => x.seconds)), engine_cpu_us_per_record: round(mean(us), 2), bytes_per_input_record: Buffer.byteLength(recordJson(records - 1, Date.now())) };
  const avro = { rps: round(m.avro.rps), engine_cpu_us_per_record: round(us(m.avro), 2), bytes_per_input_record: avroIn?.bytesPerRecord, verified: m.avro.verified };
  return {
    json,
    avro,
    engine_cpu_us_per_record_diff: round(avro.engine_cpu_us_per_record - json.engine_cpu_us_per_record, 2),
    engine_cpu_ratio: round(avro.engine_cpu_us_per_record / json.engine_cpu_us_per_record, 2),
    rps_ratio: round(avro.rps / json.rps, 2),
  };
}

const editorFigures = (e) => `${e?.render_ms == null ? "n/a" : fmtNum(e.render_ms) + " ms"} to full render, ${fmtNum(e?.drag_fps, 1)} fps drag`;

const cdcLag = (cdc, who) => {
  const l = cdc.lag_ms[who];
  return `lag commit → Kafka p50/p99 ${fmtNum(l?.paced?.p50)}/${fmtNum(l?.paced?.p99)} ms at ${fmtNum(cdc.paced_changes_per_sec)}/s, ${fmtNum(l?.under_load?.p50)}/${fmtNum(l?.under_load?.p99)} ms under the load`;
};

const signed = (x, d) => (x > 0 ? "+" : "") + fmtNum(x, d);

function printTable(r, rawLimit) {
  const t = r.throughput;
  const rows = [
    ["B1 throughput (records/s)", "", ""],
    ["  raw produce (ProducerPerformance)", fmtNum(t.raw_produce_rps), ""],
    ["  raw consume (ConsumerPerformance)", fmtNum(t.raw_consume_rps), ""],
    ["  Kafka Streams app", fmtNum(t.streams_rps), ""],
    ["  Millrace durable, at-least-once", fmtNum(t.millrace_rps), `${fmtNum(r.ratios.millrace_vs_streams, 2)}× Streams (goal ≥ 1.0), ${fmtNum(r.ratios.millrace_vs_raw, 2)}× raw (goal ≥ 0.5)`],
    ["  Millrace fused", fmtNum(t.millrace_fused_rps), `${fmtNum(r.ratios.fused_vs_durable, 2)}× durable`],
    ["  Millrace exactly-once", fmtNum(t.millrace_eos_rps), `${fmtNum(r.ratios.eos_vs_at_least_once, 2)}× at-least-once`],
    ["  Millrace durable, Avro in and out", fmtNum(t.millrace_avro_rps), r.details.avro ? `${fmtNum(r.ratios.avro_vs_json, 2)}× JSON; engine CPU ${fmtNum(r.details.avro.avro.engine_cpu_us_per_record, 1)} vs ${fmtNum(r.details.avro.json.engine_cpu_us_per_record, 1)} µs/record (${signed(r.details.avro.engine_cpu_us_per_record_diff, 1)}, ${fmtNum(r.ratios.avro_vs_json_engine_cpu, 2)}×)` : ""],
    ["  Millrace provenance off", fmtNum(t.millrace_noprov_rps), `on/off ${fmtNum(r.ratios.provenance_on_vs_off, 2)} (goal ≥ 0.9; A-B-B-A), until written ${fmtNum(r.ratios.provenance_on_drained_vs_off, 2)}, by CPU ${fmtNum(r.ratios.provenance_on_vs_off_cpu, 2)}`],
    ...(r.workers?.runs ?? []).map((w) => [
      `  Millrace durable, MILLRACE_WORKERS=${w.workers}${w.workers === r.workers.cores ? " (all cores)" : ""}`,
      fmtNum(w.rps),
      w.rps == null ? w.error ?? "" : `${w.workers > 1 ? `${fmtNum(r.ratios[`workers_${w.workers}_vs_1`], 2)}× 1 worker; ` : ""}engine CPU ${fmtNum(w.cpuSeconds?.engine, 1)} s, RSS ${fmtNum(w.rss_mb)} MB in ${w.rss_mb_each?.length ?? "?"} process(es)`,
    ]),
    ["B2 latency, 3 durable hops at 5,000/s", `p50 ${fmtNum(r.latency_ms.p50)} / p95 ${fmtNum(r.latency_ms.p95)} / p99 ${fmtNum(r.latency_ms.p99)} ms`, "goal p99 ≤ 50 ms"],
    ["B3 engine peak RSS during B1", r.rss_mb == null ? "n/a" : `${fmtNum(r.rss_mb)} MB`, "goal ≤ 300 MB"],
    ["B5 isolation: healthy flow beside a poison flow", r.isolation?.healthy_beside_poison_vs_alone == null ? "n/a" : `${fmtNum(r.isolation.healthy_beside_poison_vs_alone, 2)}× its throughput alone`, "goal ≥ 0.9"],
    ...(r.mirror
      ? [
          ["B6 mirror A → B, MirrorMaker 2", r.mirror.mm2 ? `${fmtNum(r.mirror.mm2.recordsPerSec)} records/s` : "n/a", r.mirror.mm2 ? `CPU ${fmtNum(r.mirror.mm2.cpuSec, 1)} s, RSS ${fmtNum(r.mirror.mm2.rssMb)} MB` : ""],
          ["B6 mirror A → B, Millrace kafka-mirror", r.mirror.millrace ? `${fmtNum(r.mirror.millrace.recordsPerSec)} records/s` : "n/a", r.mirror.millrace ? `${fmtNum(r.ratios.mirror_vs_mm2, 2)}× MirrorMaker 2 (goal ≥ 1.0)` : "n/a"],
        ]
      : []),
    ...(r.tables
      ? [
          [`B7 count by key (${fmtNum(r.tables.count_keys)} keys), Kafka Streams`, `${fmtNum(t.streams_count_rps)} records/s`, "groupByKey().count(), record cache off"],
          ["B7 count by key, Millrace aggregate", `${fmtNum(t.millrace_count_rps)} records/s`, `${fmtNum(r.ratios.count_vs_streams, 2)}× Kafka Streams (goal ≥ 1.0)`],
          [`B7 restore of a ${fmtNum(r.tables.restore_keys)}-key table`, `${fmtNum(r.tables.restore_seconds, 1)} s`, `restart to counting again, state dir deleted; slowest partition ${fmtNum(r.tables.restore_max_partition_ms)} ms`],
        ]
      : []),
    ...(r.cdc
      ? [
          [`B8 CDC into Kafka, Debezium (embedded)`, `${fmtNum(t.debezium_cdc_cps)} changes/s`, cdcLag(r.cdc, "debezium")],
          [`B8 CDC into Kafka, Millrace postgres-cdc`, `${fmtNum(t.millrace_cdc_cps)} changes/s`, `${fmtNum(r.ratios.cdc_vs_debezium, 2)}× Debezium (goal ≥ 1.0); ${cdcLag(r.cdc, "millrace")}`],
          ...(r.cdc.lag_ms.millrace_eos ? [[`B8 CDC into Kafka, Millrace exactly-once`, `${fmtNum(t.millrace_cdc_eos_cps)} changes/s`, `${fmtNum(r.ratios.cdc_eos_vs_debezium, 2)}× Debezium; ${cdcLag(r.cdc, "millrace_eos")}`]] : []),
          ...(r.cdc.lag_ms.millrace_noprov ? [[`B8 CDC into Kafka, Millrace, provenance off`, `${fmtNum(t.millrace_cdc_noprov_cps)} changes/s`, cdcLag(r.cdc, "millrace_noprov")]] : []),
        ]
      : []),
    ["B4 editor, 1,000 nodes / 1,200 edges", editorFigures(r.editor), "goal ≤ 1,000 ms, ≥ 50 fps"],
    ["B4 editor, 5,000 nodes / 6,000 edges", editorFigures(r.editor_5k), "goal ≤ 1,500 ms, ≥ 50 fps"],
  ];
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  console.log(`\nMillrace bench (${r.mode}, ${r.details.records.toLocaleString()} records; ${r.machine.cores} cores, ${r.machine.memory_gb} GB; ${r.date})`);
  console.log("-".repeat(w0 + w1 + 40));
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
  console.log("-".repeat(w0 + w1 + 40));
  if (rawLimit != null) console.log(`raw limit = min(produce, consume) = ${fmtNum(rawLimit)} records/s`);
  for (const n of r.notes) console.log(`note: ${n}`);
}

(soak ? runSoak({ root, ...soak, runId }) : main())
  .catch((e) => {
    console.error(`[bench] failed: ${e?.stack ?? e}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
    process.exit(process.exitCode ?? 0);
  });
