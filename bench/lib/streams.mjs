// (b) The Kafka Streams reference app (bench/streams): jars copied once by Maven into a cache
// outside the repo, the one class compiled with javac when its source changes (buildJavaApp, also
// the Debezium app of B8).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { onCleanup } from "./env.mjs";
import { expectedKept, waitForOffsets } from "./data.mjs";
import { engineCpuSeconds, log, procMem, round, rssSampler } from "./util.mjs";

const SRC = "src/main/java/dev/millrace/bench/StreamsBench.java";
const MAIN = "dev.millrace.bench.StreamsBench";

function cacheRoot() {
  return process.env.MILLRACE_CACHE ? resolve(process.env.MILLRACE_CACHE) : join(homedir(), ".cache", "millrace");
}

function run(cmd, args) {
  return new Promise((res, rej) => {
    const c = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    c.stdout.on("data", (d) => (out += d));
    c.stderr.on("data", (d) => (out += d));
    c.on("error", rej);
    c.on("close", (status) => res({ status, stdout: out, stderr: "" }));
  });
}

/** Returns the classpath of the compiled app (built once per pom/source hash; async, so it overlaps the preload). */
export function buildStreamsApp(root) {
  return buildJavaApp({ dir: join(root, "bench/streams"), source: SRC, cacheName: "bench-streams", what: "the Kafka Streams jars" });
}

/**
 * A one-class Java app of the bench (`dir`: its pom.xml; `source`: its class under `dir`): the
 * pom's runtime jars copied once by Maven into `<cache>/<cacheName>-libs-<pom hash>`, the class
 * compiled with javac into `<cacheName>-classes-<hash>`. Returns the classpath.
 */
export async function buildJavaApp({ dir, source, cacheName, what }) {
  const pom = readFileSync(join(dir, "pom.xml"));
  const src = readFileSync(join(dir, source));
  const libs = join(cacheRoot(), `${cacheName}-libs-${createHash("sha256").update(pom).digest("hex").slice(0, 12)}`);
  if (!existsSync(join(libs, ".complete"))) {
    log(`fetching ${what} with Maven into ${libs} (once)`);
    const tmp = `${libs}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    const r = await run("mvn", ["-q", "-B", "-f", join(dir, "pom.xml"), "dependency:copy-dependencies", "-DincludeScope=runtime", `-DoutputDirectory=${tmp}`]);
    if (r.status !== 0) throw new Error(`mvn dependency:copy-dependencies failed (exit ${r.status}):\n${(r.stdout + r.stderr).slice(-3000)}`);
    writeFileSync(join(tmp, ".complete"), new Date().toISOString());
    rmSync(libs, { recursive: true, force: true });
    renameSync(tmp, libs);
  }
  const classes = join(cacheRoot(), `${cacheName}-classes-${createHash("sha256").update(pom).update(src).digest("hex").slice(0, 12)}`);
  if (!existsSync(join(classes, ".complete"))) {
    log(`compiling ${source} with javac`);
    mkdirSync(classes, { recursive: true });
    const r = await run("javac", ["-d", classes, "-cp", `${libs}/*`, join(dir, source)]);
    if (r.status !== 0) throw new Error(`javac failed:\n${r.stdout}${r.stderr}`);
    writeFileSync(join(classes, ".complete"), new Date().toISOString());
  }
  return `${classes}:${libs}/*`;
}

/**
 * Runs the Streams app on `input` → `output` until the output holds `expected` records (B1: every
 * kept record). Timed from the app's streams.start() (printed by the app) to the last output record.
 * `topology`: "b1" (filter + map) or "count" (B7, groupByKey().count(), one update per input record).
 */
export async function runStreams({ classpath, brokers, admin, input, output, records, threads = 1, tmpDir, topology = "b1", expected = expectedKept(records) }) {
  const appId = `mrbench-streams-${topology}-${Date.now()}`;
  const child = spawn("java", ["-Xms512m", "-Xmx1g", `-Djava.io.tmpdir=${tmpDir}`, "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classpath, MAIN, brokers, input, output, appId, String(threads), "at_least_once", topology], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err = (err + d).slice(-20000)));
  const exited = new Promise((r) => child.once("exit", r));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(t);
  };
  onCleanup(stop);
  const rss = rssSampler(child.pid);
  try {
    const res = await waitForOffsets(admin, output, {
      timeoutMs: 600_000,
      done: (sum) => {
        if (child.exitCode !== null) throw new Error(`the Streams app exited (${child.exitCode}):\n${err.slice(-3000)}`);
        return sum >= expected;
      },
    });
    const started = Number(out.match(/^START (\d+)/m)?.[1]);
    if (!started) throw new Error(`the Streams app did not print START:\n${out.slice(-1000)}${err.slice(-2000)}`);
    const seconds = (res.at - started) / 1000;
    // the JVM's CPU since its start (start-up included), to set against the engine's per run
    const r = { rps: records / seconds, seconds, outputRecords: res.sum, threads, appId, cpuSeconds: round(engineCpuSeconds(child.pid), 2), peakRssMb: Math.round((procMem(child.pid)?.hwmKb ?? rss.peakKb) / 1024) };
    log(`Kafka Streams: ${records.toLocaleString()} records in ${seconds.toFixed(2)} s = ${Math.round(r.rps).toLocaleString()} records/s (${threads} thread, CPU ${r.cpuSeconds} s, peak RSS ${r.peakRssMb} MB)`);
    return r;
  } finally {
    rss.stop();
    await stop();
  }
}
