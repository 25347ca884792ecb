// `pnpm test [unit|integration|e2e ...]`: starts what the suites need (a private Kafka broker
// and a private Postgres cluster on free ports, unless KAFKA_BROKERS / TEST_DATABASE_URL point
// at existing ones), runs the suites, stops everything it started, and ends with one line
// "N passed, N failed, N skipped" summed over all suites.
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startKafka, freePort } from "./kafka/index.mjs";
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

async function main() {
  const env = { MILLRACE_COUNTS: countsFile, MILLRACE_TEST_TMP: work };
  const needServices = suites.some((s) => s !== "unit");
  if (needServices) {
    if (!process.env.KAFKA_BROKERS) {
      const port = await freePort();
      console.log(`[test] starting Kafka on 127.0.0.1:${port}`);
      const t = Date.now();
      const k = await startKafka({ port, dataDir: join(work, "kafka") });
      cleanups.push(() => k.stop());
      env.KAFKA_BROKERS = k.brokers;
      console.log(`[test] Kafka ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
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
    else if (suite === "integration") code = await runStep("pnpm", ["exec", "vitest", "run", "-c", "vitest.int.config.ts"], env);
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
