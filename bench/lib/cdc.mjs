// B8: change data capture into Kafka, Millrace's postgres-cdc → kafka-sink against Debezium's
// Postgres connector (embedded engine, bench/debezium), on the bench's Postgres and broker. Each
// contender gets its own, identical table, its own slot and publication (streaming only: no
// snapshot), and the same changes written while it captures them. Figures come from the output
// topic itself: its records' broker append times (LogAppendTime) and the commit time each change
// carries, read after the run, so nothing reads alongside the contenders.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { findPgBin } from "../../scripts/postgres/index.mjs";
import { onCleanup } from "./env.mjs";
import { PARTITIONS, waitForOffsets } from "./data.mjs";
import { buildJavaApp } from "./streams.mjs";
import { topicsServed } from "./tables.mjs";
import { createDatabase } from "./workers.mjs";
import { engineCpuSeconds, log, percentile, pgCpuSeconds, procMem, round, sleep } from "./util.mjs";

const DEBEZIUM_MAIN = "dev.millrace.bench.DebeziumBench";
/** rows per transaction of the load: a batch job's or a busy service's commit, not one huge transaction */
const TX_ROWS = 1000;
const DATABASE = "bench_b8";
/**
 * The lag run after the throughput run: updates at a steady rate both contenders keep up with, in
 * small transactions, so the lag is the path's own and not the backlog of a load faster than it.
 */
const PACED = { changesPerSec: 2000, seconds: 15, txRows: 100 };
/** --quick: the paced run's seconds */
const PACED_QUICK_SECONDS = 5;
/**
 * The bench's Postgres runs with synchronous_commit off; its WAL writer then flushes every 200 ms,
 * and logical decoding sends only flushed WAL: the writers commit as a service would, flushed.
 */
const SYNC_COMMIT = "SET synchronous_commit = on;";

export function buildDebeziumApp(root) {
  return buildJavaApp({ dir: join(root, "bench/debezium"), source: "src/main/java/dev/millrace/bench/DebeziumBench.java", cacheName: "bench-debezium", what: "Debezium's embedded engine and Postgres connector" });
}

/** Runs SQL through psql (ON_ERROR_STOP); `sql` goes to its standard input. Answers its output. */
function psql(url, sql) {
  return new Promise((res, rej) => {
    const c = spawn(join(findPgBin(), "psql"), [url, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1"], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    c.stdout.on("data", (d) => (out += d));
    c.stderr.on("data", (d) => (err += d));
    c.on("error", rej);
    c.on("close", (status) => (status === 0 ? res(out) : rej(new Error(`psql failed (${status}): ${err.slice(-2000)}`))));
    c.stdin.end(sql);
  });
}

/** The bench table of one contender: a service's orders, about 150 bytes a row. */
function createTableSql(table) {
  return `DROP TABLE IF EXISTS ${table};
CREATE TABLE ${table} (id bigint PRIMARY KEY, customer text NOT NULL, amount integer NOT NULL, status text NOT NULL, note text NOT NULL, updated_at timestamptz NOT NULL);`;
}

/**
 * The load: `inserts` rows, then `updates` of the first of them, each statement its own
 * transaction of TX_ROWS rows (autocommit), generated on the server so the loader is not the limit.
 */
function loadSql(table, from, to, kind) {
  const lines = [SYNC_COMMIT];
  for (let a = from; a <= to; a += TX_ROWS) {
    const b = Math.min(to, a + TX_ROWS - 1);
    lines.push(
      kind === "insert"
        ? `INSERT INTO ${table} SELECT g, 'c-' || lpad((g % 100000)::text, 5, '0'), ((g::bigint * 7919) % 10000)::int, 'new', repeat('x', 60), clock_timestamp() FROM generate_series(${a}, ${b}) g;`
        : `UPDATE ${table} SET status = 'paid', amount = amount + 1, updated_at = clock_timestamp() WHERE id BETWEEN ${a} AND ${b};`,
    );
  }
  return lines.join("\n") + "\n";
}

async function writeChanges(url, table, changes) {
  const inserts = Math.ceil(changes / 2);
  const updates = changes - inserts;
  const t0 = Date.now();
  await psql(url, loadSql(table, 1, inserts, "insert"));
  const t1 = Date.now();
  if (updates > 0) await psql(url, loadSql(table, 1, updates, "update"));
  const t2 = Date.now();
  return { startedAt: t0, endedAt: t2, inserts, updates, insertSeconds: (t1 - t0) / 1000, updateSeconds: (t2 - t1) / 1000, changesPerSec: round(changes / ((t2 - t0) / 1000)) };
}

/** Updates of the first rows of `table` at PACED's rate for `seconds`, one transaction every 1/(rate/txRows) s, through one psql session. */
function writePaced(url, table, seconds) {
  const { changesPerSec, txRows } = PACED;
  const txs = Math.round((changesPerSec * seconds) / txRows);
  const everyMs = (1000 * txRows) / changesPerSec;
  return new Promise((res, rej) => {
    const c = spawn(join(findPgBin(), "psql"), [url, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1"], { stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    c.stderr.on("data", (d) => (err += d));
    c.on("error", rej);
    const t0 = Date.now();
    c.on("close", (status) => (status === 0 ? res({ startedAt: t0, endedAt: Date.now(), changes: txs * txRows, txRows, changesPerSec }) : rej(new Error(`psql failed (${status}): ${err.slice(-2000)}`))));
    c.stdin.write(`${SYNC_COMMIT}\n`);
    let sent = 0;
    const next = () => {
      if (sent === txs) return void c.stdin.end();
      const a = sent * txRows + 1;
      c.stdin.write(`UPDATE ${table} SET status = 'shipped', updated_at = clock_timestamp() WHERE id BETWEEN ${a} AND ${a + txRows - 1};\n`);
      sent++;
      setTimeout(next, Math.max(0, t0 + sent * everyMs - Date.now())); // on schedule, not drifting behind
    };
    next();
  });
}

/** Waits until a slot of the bench database is streaming to a reader (the contender captures from then on). */
async function slotActive(url, timeoutMs = 120_000, failed = () => undefined) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const name = (await psql(url, `SELECT slot_name FROM pg_replication_slots WHERE database = '${DATABASE}' AND active LIMIT 1;`)).trim();
    if (name) return name;
    const why = failed();
    if (why) throw new Error(why);
    if (Date.now() > end) throw new Error(`no replication slot of ${DATABASE} became active within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

/** Slots the contenders left (a stopped flow may keep its slot): their WAL would pile up for the next one. */
async function dropIdleSlots(url) {
  await psql(url, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '${DATABASE}' AND NOT active;`).catch((e) => log(`B8: dropping idle slots: ${e.message}`));
}

async function createAppendTimeTopic(admin, topic) {
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1, configEntries: [{ name: "message.timestamp.type", value: "LogAppendTime" }] }], waitForLeaders: true });
  await topicsServed(admin, [topic]);
}

/**
 * Reads `topic` (read_committed) until `expected` records: the first and last broker append time,
 * and the lag of each change from its commit in Postgres (`source.ts_ms` of the Debezium envelope)
 * to its append in Kafka.
 */
async function readChanges(kafka, topic, expected, pacedFrom, timeoutMs) {
  const consumer = kafka.consumer({ groupId: `bench-b8-read-${topic}`, maxWaitTimeInMs: 250, maxBytesPerPartition: 8 << 20, maxBytes: 32 << 20 });
  const lags = new Float64Array(expected);
  const pacedLags = [];
  let n = 0;
  let loadRecords = 0;
  let first = Infinity;
  let last = -Infinity;
  let unreadable = 0;
  let sample;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const appended = Number(m.timestamp);
          sample ??= { key: m.key?.toString(), value: m.value?.toString() };
          n++;
          let committed;
          try {
            committed = JSON.parse(m.value.toString()).source.ts_ms;
          } catch {
            committed = undefined;
          }
          if (typeof committed !== "number") {
            unreadable++;
            continue;
          }
          if (committed >= pacedFrom) {
            pacedLags.push(appended - committed);
            continue;
          }
          if (appended < first) first = appended;
          if (appended > last) last = appended;
          if (loadRecords < lags.length) lags[loadRecords++] = appended - committed;
        }
      },
    });
    const end = Date.now() + timeoutMs;
    while (n < expected && Date.now() < end) await sleep(200);
  } finally {
    await consumer.disconnect().catch(() => {});
  }
  if (n < expected) throw new Error(`${topic} holds ${n} of ${expected} changes`);
  return { records: n, loadRecords, firstAppend: first, lastAppend: last, unreadable, sample, lagMs: lagFigures(lags.subarray(0, loadRecords).sort()), pacedLagMs: lagFigures(Float64Array.from(pacedLags).sort()), pacedRecords: pacedLags.length };
}

const lagFigures = (sorted) => ({ p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? null });

/**
 * One contender: its table created, `start()` makes it capture (answers { stop, cpuSeconds, failed }),
 * the changes written once its slot streams, then timed from the topic. CPU: the contender's
 * process and Postgres (with the loader's backend), from the first write until every change is in Kafka.
 */
async function runContender({ name, dbUrl, admin, kafka, pg, table, topic, records, pacedSeconds, start }) {
  await psql(dbUrl, createTableSql(table));
  await createAppendTimeTopic(admin, topic);
  const contender = await start();
  try {
    const slot = await slotActive(dbUrl, 120_000, contender.failed);
    log(`B8 ${name}: slot ${slot} streams; writing ${records.toLocaleString()} changes into ${table}`);
    const cpu0 = { contender: contender.cpuSeconds(), postgres: pgCpuSeconds(pg.postmasterPid) };
    const load = await writeChanges(dbUrl, table, records);
    log(`B8 ${name}: changes written in ${((load.endedAt - load.startedAt) / 1000).toFixed(1)} s (${load.changesPerSec.toLocaleString()} changes/s)`);
    const timeoutMs = Math.max(300_000, records * 2);
    const landed = await waitForOffsets(admin, topic, {
      everyMs: 200,
      timeoutMs,
      done: (sum) => {
        const why = contender.failed();
        if (why) throw new Error(why);
        return sum >= records;
      },
    });
    const cpu = { contender: round(contender.cpuSeconds() - cpu0.contender, 2), postgres: round(pgCpuSeconds(pg.postmasterPid) - cpu0.postgres, 2) };
    const rssMb = contender.rssMb();
    const paced = await writePaced(dbUrl, table, pacedSeconds);
    const read = await readChanges(kafka, topic, records + paced.changes, paced.startedAt, timeoutMs);
    if (read.loadRecords < records) throw new Error(`${topic}: ${read.loadRecords} of the load's ${records} changes have a readable commit time`);
    const seconds = (read.lastAppend - read.firstAppend) / 1000;
    const r = {
      changesPerSec: round(records / seconds),
      seconds: round(seconds, 2),
      // lag under the full-speed load: mostly the backlog when the load outruns the contender
      lagMs: read.lagMs,
      pacedLagMs: read.pacedLagMs,
      paced: { ...PACED, changes: paced.changes, records: read.pacedRecords, seconds: round((paced.endedAt - paced.startedAt) / 1000, 1) },
      records: read.records,
      // how long after the last commit the last change reached Kafka: the backlog the load left
      behindLoadSeconds: round((read.lastAppend - load.endedAt) / 1000, 2),
      load,
      cpuSeconds: cpu,
      cpuUsPerChange: round((cpu.contender / records) * 1e6, 2),
      rssMb,
      offsetsSeenAt: landed.at,
      slot,
      sample: read.sample,
    };
    if (read.unreadable) r.unreadable = read.unreadable;
    log(`B8 ${name}: ${records.toLocaleString()} changes in ${seconds.toFixed(2)} s (first → last append) = ${Math.round(r.changesPerSec).toLocaleString()} changes/s; lag commit → Kafka p50 ${r.lagMs.p50} / p99 ${r.lagMs.p99} ms (at ${PACED.changesPerSec.toLocaleString()} changes/s: p50 ${r.pacedLagMs.p50} / p99 ${r.pacedLagMs.p99} ms); ${r.behindLoadSeconds} s behind the load's end; CPU ${cpu.contender} s (${r.cpuUsPerChange} µs/change), Postgres ${cpu.postgres} s`);
    return r;
  } finally {
    await contender.stop();
    await dropIdleSlots(dbUrl);
    await admin.deleteTopics({ topics: [topic], timeout: 30_000 }).catch(() => {});
  }
}

/** Debezium's embedded engine (bench/debezium) on `table`, producing to `topic`. */
function startDebezium({ classpath, brokers, dbUrl, table, topic, records, tmpDir, runId }) {
  const u = new URL(dbUrl);
  const slot = `dbz_b8_${runId.replace(/-/g, "_")}`;
  const args = [u.hostname, u.port, DATABASE, table, slot, slot, join(tmpDir, `debezium-offsets-${runId}.dat`), String(records)];
  const child = spawn("java", ["-Xms512m", "-Xmx1g", `-Djava.io.tmpdir=${tmpDir}`, "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classpath, DEBEZIUM_MAIN, brokers, topic, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out = (out + d).slice(-20000)));
  child.stderr.on("data", (d) => (err = (err + d).slice(-20000)));
  const exited = new Promise((r) => child.once("exit", r));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 30_000);
    await exited;
    clearTimeout(t);
  };
  onCleanup(stop);
  return {
    stop,
    cpuSeconds: () => engineCpuSeconds(child.pid),
    rssMb: () => Math.round((procMem(child.pid)?.hwmKb ?? 0) / 1024),
    failed: () => (child.exitCode !== null || child.signalCode !== null ? `the Debezium app exited (${child.exitCode ?? child.signalCode}):\n${out.slice(-1000)}${err.slice(-3000)}` : undefined),
  };
}

/** postgres-cdc (streaming only, Debezium's envelope) → kafka-sink. */
function cdcFlow({ id, dbUrl, table, topic }) {
  const node = (nid, type, config, x) => ({ id: nid, type, typeVersion: 1, name: nid, config, position: { x, y: 0 } });
  return {
    schemaVersion: 1,
    id,
    name: id,
    description: "generated by bench/lib/cdc.mjs",
    nodes: [node("cdc", "postgres-cdc", { url: dbUrl, tables: [table], snapshot: "never", envelope: "debezium" }, 0), node("out", "kafka-sink", { topic }, 260)],
    edges: [{ id: "cdc-out", from: { node: "cdc", port: "success" }, to: { node: "out" } }],
    parameters: [],
  };
}

async function startMillrace({ api, engine, dbUrl, table, topic, flowId, exactlyOnce, provenance }) {
  await api.mutate("flows.save", { document: cdcFlow({ id: flowId, dbUrl, table, topic }) });
  const status = await api.mutate("deployments.deploy", { flowId, exactlyOnce, ...(provenance === false ? { provenance } : {}) });
  if (status?.status !== "running") throw new Error(`deploy of ${flowId} answered status ${status?.status}: ${status?.error ?? ""}`);
  return {
    stop: () => api.mutate("deployments.stop", { flowId }).catch((e) => log(`B8: stopping ${flowId}: ${e.message}`)),
    cpuSeconds: () => engineCpuSeconds(engine.pid),
    rssMb: () => Math.round((procMem(engine.pid)?.rssKb ?? 0) / 1024),
    failed: () => (engine.child.exitCode !== null || engine.child.signalCode !== null ? `the engine died: ${engine.tail().slice(-1500)}` : undefined),
  };
}

/** B8's default contenders (--quick: the first two); `millrace_noprov` (provenance off) runs when named in --b8 */
export const CDC_CONTENDERS = ["debezium", "millrace", "millrace_eos"];

/**
 * B8. `records` changes (inserts, then updates of those rows) captured by Debezium, then by
 * Millrace at-least-once, then Millrace exactly-once (`contenders`: some of them); each on its
 * own table and topic of the same shape, the same engine as the rest of the bench.
 */
export async function runCdcBench({ root, dir, brokers, kafka, admin, pg, api, engine, records, runId, contenders = CDC_CONTENDERS, quick = false }) {
  const dbUrl = createDatabase(pg.url, DATABASE);
  const out = { records, txRows: TX_ROWS, envelope: "debezium (JSON, schemas disabled), both" };
  const common = { dbUrl, admin, kafka, pg, records, pacedSeconds: quick ? PACED_QUICK_SECONDS : PACED.seconds };
  const table = (who) => `public.bench_b8_${who}`;
  const topic = (who) => `bench-b8-${who}-${runId}`;
  if (contenders.includes("debezium")) {
    const classpath = await buildDebeziumApp(root);
    out.debezium = await runContender({
      ...common,
      name: "Debezium",
      table: table("debezium"),
      topic: topic("debezium"),
      start: () => startDebezium({ classpath, brokers, dbUrl, table: table("debezium"), topic: topic("debezium"), records, tmpDir: dir, runId }),
    });
  }
  const variants = [
    { name: "millrace", exactlyOnce: false },
    { name: "millrace_eos", exactlyOnce: true },
    { name: "millrace_noprov", exactlyOnce: false, provenance: false, label: " without provenance" },
  ].filter((v) => contenders.includes(v.name));
  for (const v of variants) {
    out[v.name] = await runContender({
      ...common,
      name: `Millrace${v.exactlyOnce ? " exactly-once" : ""}${v.label ?? ""}`,
      table: table(v.name),
      topic: topic(v.name.replace("_", "-")),
      start: () => startMillrace({ api, engine, dbUrl, table: table(v.name), topic: topic(v.name.replace("_", "-")), flowId: `bench-b8-${v.name.replace("_", "-")}-${runId}`, exactlyOnce: v.exactlyOnce, provenance: v.provenance }),
    });
  }
  if (!out.debezium || !out.millrace) return out;
  out.ratio = round(out.millrace.changesPerSec / out.debezium.changesPerSec, 2);
  if (out.millrace_eos) out.eosRatio = round(out.millrace_eos.changesPerSec / out.debezium.changesPerSec, 2);
  log(`B8: Millrace ${Math.round(out.millrace.changesPerSec).toLocaleString()} vs Debezium ${Math.round(out.debezium.changesPerSec).toLocaleString()} changes/s = ${out.ratio}×${out.millrace_eos ? `; exactly-once ${Math.round(out.millrace_eos.changesPerSec).toLocaleString()} = ${out.eosRatio}×` : ""}`);
  return out;
}
