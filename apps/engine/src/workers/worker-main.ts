// A runtime worker: one more process running the deployed flows' consumer stages (forked by the
// engine when MILLRACE_WORKERS > 1, see pool.ts). It joins the same consumer groups, so Kafka
// spreads the partitions of every stage over the engine and its workers.
import "../kafka/index.js"; // first of all: kafkajs adapted before anything loads it
import { catalog } from "@millrace/processors";
import { closeUserCodePool, configureUserCodePool } from "@millrace/processors/runtime";
import { userCodeWorkersFromEnv } from "../config.js";
import { openDatabase, type Database } from "../db/index.js";
import { startDeployments, type DeploymentRuntime } from "../deployments/index.js";
import { errorMessage, logger } from "../log.js";
import { keepRunningOnStrayErrors } from "../process-guards.js";
import { EngineMetrics } from "../metrics/index.js";
import { ProvenanceRecorder } from "../provenance/index.js";
import type { PlanLookup } from "../provenance/plans.js";
import { parseSecretKey, SecretBox } from "../secrets/index.js";
import type { FromWorker, ToWorker, WorkerSettings } from "./protocol.js";
import { SourcesStayWithTheEngine } from "./sources-elsewhere.js";

interface Running {
  settings: WorkerSettings;
  box: SecretBox;
  db: Database;
  runtime: DeploymentRuntime;
  provenance?: ProvenanceRecorder;
  metrics: EngineMetrics;
}

let running: Running | undefined;
let starting: Promise<void> | undefined;
let stopping = false;
let log = logger.child({ module: "worker" });

function send(message: FromWorker): void {
  if (process.connected) process.send!(message);
}

function keyRing(keys: string[]): SecretBox {
  return new SecretBox(keys.map((k, i) => parseSecretKey(k, `key ${i + 1} of the engine's key ring`)));
}

async function start(settings: WorkerSettings): Promise<void> {
  log = logger.child({ module: "worker", engineId: settings.engineId });
  // the same environment as the engine: its own user-code pool, sized alike
  const userCodeWorkers = userCodeWorkersFromEnv();
  if (userCodeWorkers !== undefined) configureUserCodePool({ workers: userCodeWorkers });
  const box = keyRing(settings.keys);
  const db = await openDatabase(settings.databaseUrl, settings.engineId, box);
  const runtime = startDeployments({
    repositories: db.repositories,
    catalog,
    databaseUrl: settings.databaseUrl,
    kafkaBrokers: settings.kafkaBrokers,
    engineId: settings.engineId,
    network: settings.network,
    stateDir: settings.stateDir,
    leases: new SourcesStayWithTheEngine(log),
    // the engine process deletes what every reader has read; its workers need not ask Kafka again
    purgeReadRecords: false,
  });
  const plans: PlanLookup = (flowId, deploymentId) => {
    const spec = runtime.deployments.runtime(flowId)?.spec;
    return spec?.deploymentId === deploymentId ? spec.plan : undefined;
  };
  const provenance = process.env.MILLRACE_PROVENANCE === "off" ? undefined : new ProvenanceRecorder({ repository: db.repositories.provenance, engineId: settings.engineId, plans, log: log.child({ module: "provenance" }) });
  provenance?.start();
  // queue depths are the same on every process: only the engine reports them
  const metrics = new EngineMetrics({ plans, provenance: provenance ? () => provenance.snapshot() : undefined });
  metrics.registry.setDefaultLabels({ worker: settings.name });
  if (provenance) runtime.observers.add(provenance);
  runtime.observers.add(metrics);
  running = { settings, box, db, runtime, provenance, metrics };
  log.info(`runtime worker ${settings.name} (pid ${process.pid}) runs the consumer stages of the deployed flows`);
  send({ type: "ready" });
}

async function stop(why: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info(`runtime worker stopping (${why}): its consumer stages commit and leave their groups`);
  await starting?.catch(() => {});
  const r = running;
  try {
    // the flows first: what they processed is committed and provenance gets their last batches
    await r?.runtime.close();
    await closeUserCodePool();
    await r?.provenance?.close();
    await r?.db.close();
  } catch (e) {
    log.error({ err: e }, `runtime worker: stopping failed: ${errorMessage(e)}; it exits anyway (Kafka gives its partitions to the other members after the session timeout)`);
  }
  process.exit(0);
}

process.on("message", (m: ToWorker) => {
  if (m.type === "start") {
    if (starting) return;
    starting = start(m.settings).catch((e) => {
      log.fatal({ err: e }, `runtime worker failed to start: ${errorMessage(e)}; it exits and the engine starts it again later (check DATABASE_URL and KAFKA_BROKERS)`);
      process.exit(1);
    });
  } else if (m.type === "keys") {
    running?.box.useKeys(keyRing(m.keys).ring());
  } else if (m.type === "metrics") {
    const r = running;
    if (!r) return send({ type: "metrics", requestId: m.requestId, metrics: [] });
    r.metrics.registry.getMetricsAsJSON().then(
      (metrics) => send({ type: "metrics", requestId: m.requestId, metrics }),
      () => send({ type: "metrics", requestId: m.requestId, metrics: [] }),
    );
  }
});
process.on("SIGTERM", () => void stop("SIGTERM"));
// Ctrl-C in a terminal reaches the whole process group: the engine stops its workers itself, after its HTTP server
process.on("SIGINT", () => {});
// the engine went away (even kill -9): a worker never runs flows on its own
process.on("disconnect", () => void stop("the engine process is gone"));
keepRunningOnStrayErrors(logger.child({ module: "worker", pid: process.pid }));
