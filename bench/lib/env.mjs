// The bench's own world: a temp dir, a Kafka broker and a Postgres on free ports, the engine
// as a child process. Everything started here is stopped by `cleanup()` (also on error, Ctrl+C).
import { spawn } from "node:child_process";
import { chmodSync, createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import kafkajs from "kafkajs";
import { freePort, startKafka, ensureKafkaJars } from "../../scripts/kafka/index.mjs";
import { startPostgres } from "../../scripts/postgres/index.mjs";
import { loginToken } from "./trpc.mjs";
import { log, sleep } from "./util.mjs";

const { Kafka, logLevel } = kafkajs;

const cleanups = [];
let cleaning;

/** Registers a stop function; run in reverse order by cleanup(). */
export function onCleanup(fn) {
  cleanups.push(fn);
}

export function cleanup() {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const fn = cleanups.pop();
      try {
        await fn();
      } catch (e) {
        log(`cleanup: ${e?.message ?? e}`);
      }
    }
  })();
  return cleaning;
}

let signalled = false;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    if (signalled) process.exit(130);
    signalled = true;
    log(`${sig}: stopping everything the bench started`);
    cleanup().finally(() => process.exit(130));
  });
}

export function makeTempDir(keep) {
  const dir = mkdtempSync(join(tmpdir(), "millrace-bench-"));
  chmodSync(dir, 0o755); // Postgres runs as the `postgres` user when we are root: it must traverse this
  if (!keep) onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function startBroker(dir) {
  const jars = await ensureKafkaJars();
  const port = await freePort();
  const k = await startKafka({ port, dataDir: join(dir, "kafka"), heap: ["-Xms1g", "-Xmx1g"] });
  onCleanup(() => k.stop());
  // Nagle off, as in the engine (apps/engine/src/kafka/adapter/socket.ts): otherwise the B2 reader's
  // commits hold back its next fetch by the broker's delayed ACK and the bench measures itself
  const socketFactory = ({ host, port, onConnect }) => net.connect({ host, port, noDelay: true }, onConnect).setKeepAlive(true, 60_000);
  const kafka = new Kafka({ clientId: "millrace-bench", brokers: [k.brokers], logLevel: logLevel.NOTHING, socketFactory });
  const admin = kafka.admin();
  await admin.connect();
  onCleanup(() => admin.disconnect());
  return { ...k, jars, kafka, admin };
}

export async function startPg(dir) {
  const pg = await startPostgres({ dir: join(dir, "pg"), port: await freePort() });
  onCleanup(() => pg.stop());
  let postmasterPid;
  try {
    postmasterPid = Number(readFileSync(join(dir, "pg", "data", "postmaster.pid"), "utf8").split("\n")[0]);
  } catch {
    /* unknown: no Postgres CPU figures */
  }
  return { ...pg, postmasterPid };
}

function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "node_modules" || e.name === "dist") continue;
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds apps/web when its dist is missing or older than its sources (as `pnpm start` does). */
export async function ensureWebBuilt(root) {
  // BENCH_WEB_DIST: a private build (others editing the tree share apps/web/dist)
  const dist = process.env.BENCH_WEB_DIST ?? join(root, "apps/web/dist");
  const index = join(dist, "index.html");
  const stale =
    !existsSync(index) ||
    [join(root, "apps/web"), join(root, "packages/flow/src"), join(root, "packages/processors/src")].some((d) => newestMtime(d) > statSync(index).mtimeMs);
  if (!stale) return { built: false, dist };
  log(`building the web app (${dist} is missing or stale)`);
  const b = await new Promise((res, rej) => {
    const c = spawn("pnpm", ["--filter", "@millrace/web", "build", ...(process.env.BENCH_WEB_DIST ? ["--outDir", dist, "--emptyOutDir"] : [])], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    c.stdout.on("data", (d) => (out += d));
    c.stderr.on("data", (d) => (out += d));
    c.on("error", rej);
    c.on("close", (status) => res({ status, out }));
  });
  if (b.status !== 0) throw new Error(`the web app failed to build:\n${b.out.slice(-3000)}`);
  return { built: true, dist };
}

/** The benchmark engine's first admin password (a throwaway database: nothing to protect). */
export const BENCH_ADMIN_PASSWORD = "millrace-bench-admin";

/**
 * Runs the engine as its own Node process (node --import tsx, so the PID is the engine's and
 * its RSS can be read). `cpuProfDir` turns on --cpu-prof (written when the engine exits).
 * The answer's `token` is an admin API token for trpcClient(url, token).
 */
export async function startEngineProcess({ root, dir, brokers, databaseUrl, webDist, cpuProfDir, heapMb, nodeFlags = [], env = {}, logName = "engine.log" }) {
  const port = await freePort();
  const args = ["--import", "tsx"];
  if (cpuProfDir) args.push("--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`);
  if (heapMb) args.push(`--max-old-space-size=${heapMb}`);
  args.push(...nodeFlags); // e.g. --engine-node-flags "--max-semi-space-size=8" (what scripts/start.mjs would pass)
  args.push(join(root, "apps/engine/src/main.ts"));
  const logFile = join(dir, logName);
  const out = createWriteStream(logFile);
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, PORT: String(port), DATABASE_URL: databaseUrl, KAFKA_BROKERS: brokers, MILLRACE_WEB_DIST: webDist ?? "/nonexistent", MILLRACE_NO_OPEN: "1", MILLRACE_ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  let tail = "";
  const keep = (d) => (tail = (tail + d).slice(-8000));
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((r) => child.once("exit", r));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(t);
  };
  onCleanup(stop);
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the engine exited (${child.exitCode}) while starting:\n${tail}`);
    if (Date.now() > end) throw new Error(`the engine did not answer within 90 s:\n${tail}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.status === 200) break;
    } catch {
      /* not yet */
    }
    await sleep(200);
  }
  // the first admin (created on this fresh database with BENCH_ADMIN_PASSWORD) drives the API
  const token = await loginToken(url, "admin", BENCH_ADMIN_PASSWORD);
  return { url, token, pid: child.pid, child, logFile, stop, tail: () => tail };
}
