// `pnpm test [unit|integration|e2e ...]`: starts what the suites need (a private Kafka broker
// and a private Postgres cluster on free ports, unless KAFKA_BROKERS / TEST_DATABASE_URL point
// at existing ones), runs the suites, stops everything it started, and ends with one line
// "N passed, N failed, N skipped" summed over all suites. The integration suite also gets a
// SASL/SCRAM broker with ACLs and a second plain cluster (unless KAFKA_SCRAM_BROKERS /
// KAFKA_SECOND_BROKERS are set), stopped as soon as that suite ends.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMALL_HEAP, ensureKafkaJars, startKafka, freePort } from "./kafka/index.mjs";
import { startPostgres } from "./postgres/index.mjs";

const ALL = ["unit", "integration", "e2e"];
const args = process.argv.slice(2);
const suites = args.length ? args : ALL;
for (const s of suites) if (!ALL.includes(s)) {
  console.error(`unknown suite "${s}": choose from ${ALL.join(", ")}`);
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), "millrace-test-"));
chmodSync(work, 0o755);
const countsFile = join(work, "counts.jsonl");
writeFileSync(countsFile, "");
const cleanups = [];
let stopping = false;

async function cleanup() {
  if (stopping) return;
  stopping = true;
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch (e) {
      console.error(`cleanup: ${e.message}`);
    }
  }
  rmSync(work, { recursive: true, force: true });
}
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => cleanup().then(() => process.exit(130)));

function runStep(cmd, cmdArgs, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { stdio: "inherit", env: { ...process.env, ...env } });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** `count` ports nothing listens on, all different (brokers start in parallel: none may take another's). */
async function distinctFreePorts(count) {
  const ports = new Set();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/**
 * Starts the brokers in `wanted` ({ name, options, onReady }) side by side. Each one started is
 * stopped by cleanup (and by `stopLater` when given), even when another fails to start.
 */
async function startBrokers(wanted) {
  if (!wanted.length) return;
  await ensureKafkaJars(); // once, before the parallel starts would each run Maven on a fresh machine
  const ports = await distinctFreePorts(2 * wanted.length);
  const t = Date.now();
  console.log(`[test] starting ${wanted.map((w, i) => `${w.name} on 127.0.0.1:${ports[2 * i]}`).join(", ")}`);
  const results = await Promise.allSettled(wanted.map((w, i) =>
    startKafka({ ...w.options, port: ports[2 * i], controllerPort: ports[2 * i + 1] }).then((k) => {
      cleanups.push(() => k.stop());
      w.stopLater?.push(() => k.stop());
      w.onReady(k);
    })));
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  console.log(`[test] Kafka ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

async function main() {
  const env = { MILLRACE_COUNTS: countsFile, MILLRACE_TEST_TMP: work };
  // Only the integration suite sees these (and the brokers behind them stop when it ends).
  const integrationEnv = {};
  const stopAfterIntegration = [];
  const needServices = suites.some((s) => s !== "unit");
  if (needServices) {
    const brokers = [];
    if (!process.env.KAFKA_BROKERS) {
      brokers.push({ name: "Kafka", options: { dataDir: join(work, "kafka") }, onReady: (k) => (env.KAFKA_BROKERS = k.brokers) });
    }
    if (suites.includes("integration") && !process.env.KAFKA_SCRAM_BROKERS) {
      const admin = { name: "admin", password: randomBytes(12).toString("base64url") };
      const user = { name: "alice", password: randomBytes(12).toString("base64url") };
      brokers.push({
        name: "a SCRAM+ACL broker",
        options: { dataDir: join(work, "kafka-scram"), heap: SMALL_HEAP, sasl: { users: [admin, user], superUsers: [admin.name] }, acls: true },
        stopLater: stopAfterIntegration,
        onReady: (k) => Object.assign(integrationEnv, {
          KAFKA_SCRAM_BROKERS: k.brokers,
          KAFKA_SCRAM_ADMIN_USER: admin.name,
          KAFKA_SCRAM_ADMIN_PASSWORD: admin.password,
          KAFKA_SCRAM_USER: user.name,
          KAFKA_SCRAM_PASSWORD: user.password,
        }),
      });
    }
    if (suites.includes("integration") && !process.env.KAFKA_SECOND_BROKERS) {
      brokers.push({
        name: "a second cluster",
        options: { dataDir: join(work, "kafka-second"), heap: SMALL_HEAP },
        stopLater: stopAfterIntegration,
        onReady: (k) => (integrationEnv.KAFKA_SECOND_BROKERS = k.brokers),
      });
    }
    await startBrokers(brokers);
    if (!process.env.TEST_DATABASE_URL) {
      const port = await freePort();
      console.log(`[test] starting Postgres on 127.0.0.1:${port}`);
      const pg = await startPostgres({ dir: join(work, "pg"), port });
      cleanups.push(() => pg.stop());
      env.TEST_DATABASE_URL = pg.url;
    }
  }
  const failedSteps = [];
  for (const suite of suites) {
    console.log(`\n[test] ===== ${suite} =====`);
    let code;
    if (suite === "unit") code = await runStep("pnpm", ["exec", "vitest", "run", "-c", "vitest.unit.config.ts"], env);
    else if (suite === "integration") {
      code = await runStep("pnpm", ["exec", "vitest", "run", "-c", "vitest.int.config.ts"], { ...env, ...integrationEnv });
      // Their memory is the browser tests' now (stopping twice, again at cleanup, is harmless).
      await Promise.all(stopAfterIntegration.splice(0).map((stop) => stop()));
    }
    else {
      code = await runStep("pnpm", ["build"], env);
      if (code === 0) code = await runStep("pnpm", ["--filter", "@millrace/e2e", "exec", "playwright", "test"], env);
      else failedSteps.push("web build");
    }
    if (code !== 0) failedSteps.push(suite);
  }
  let passed = 0, failed = 0, skipped = 0;
  for (const line of readFileSync(countsFile, "utf8").split("\n").filter(Boolean)) {
    const c = JSON.parse(line);
    passed += c.passed;
    failed += c.failed;
    skipped += c.skipped;
  }
  // A suite that exited non-zero without reporting a failed test (crash, bad config) still counts.
  if (failedSteps.length && failed === 0) failed = failedSteps.length;
  if (failedSteps.length) console.log(`[test] failing suites: ${failedSteps.join(", ")}`);
  await cleanup();
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(failed > 0 || failedSteps.length ? 1 : 0);
}

main().catch(async (e) => {
  console.error(`[test] ${e.stack ?? e}`);
  await cleanup();
  console.log("0 passed, 1 failed, 0 skipped");
  process.exit(1);
});
