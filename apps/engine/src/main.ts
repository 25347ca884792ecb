// The engine process: `tsx apps/engine/src/main.ts` (what `pnpm start` runs after starting Kafka).
import { describeKafkaClient, kafkaClientInfo } from "./kafka/index.js"; // first of all: kafkajs adapted before anything loads it
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { engineId, httpSettingsFromEnv, networkPolicyFromEnv, portFromEnv, workersFromEnv } from "./config.js";
import { EmbeddedPostgresProcess, reportEmbeddedPostgres, startEmbeddedMaintenance } from "./embedded-postgres/index.js";
import { startEngine } from "./engine.js";
import { diskGuardSettingsFromEnv } from "./disk-guard/index.js";
import { provenanceBoundsFromEnv } from "./provenance/index.js";
import { identitySettingsFromEnv } from "./auth/index.js";
import { auditSettingsFromEnv } from "./audit/index.js";
import { errorMessage, logger, logLevelFromEnv } from "./log.js";
import { keepRunningOnStrayErrors } from "./process-guards.js";
import { SECRET_KEY_ENV, SECRET_KEY_FILE } from "./secrets/index.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const id = engineId();
const log = logger.child({ module: "engine", engineId: id });

keepRunningOnStrayErrors(log);

async function main() {
  logLevelFromEnv(); // refuses to start on an unknown level, naming the allowed ones
  const kafkaClient = kafkaClientInfo();
  // the message names every adaptation; the descriptions are in /healthz
  log[kafkaClient.adaptations.every((a) => a.active) ? "info" : "warn"](describeKafkaClient(kafkaClient));
  const stops: (() => Promise<void>)[] = [];
  let databaseUrl = process.env.DATABASE_URL;
  const dataRoot = resolve(process.env.MILLRACE_DATA ?? join(repoRoot, ".millrace"));
  let embeddedPostgres: EmbeddedPostgresProcess | undefined;
  if (!databaseUrl) {
    const dataDir = join(dataRoot, "pgdata");
    const pg = await EmbeddedPostgresProcess.start({ dataDir, port: portFromEnv("MILLRACE_PG_PORT", 5433), log: logger.child({ module: "embedded-postgres", engineId: id }) });
    stops.push(() => pg.stop());
    embeddedPostgres = pg;
    databaseUrl = pg.url;
    log.info({ dataDir, pid: pg.status().pid }, `embedded Postgres (PGlite) in its own process (pid ${pg.status().pid}) with data in ${dataDir}`);
  }
  const webDist = process.env.MILLRACE_WEB_DIST ?? join(repoRoot, "apps/web/dist");
  const host = process.env.MILLRACE_HOST ?? "127.0.0.1";
  const port = portFromEnv("PORT", 8080);
  const engine = await startEngine({
    host,
    port,
    databaseUrl,
    kafkaBrokers: (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",").map((s) => s.trim()).filter(Boolean),
    webDist: existsSync(webDist) ? webDist : undefined,
    identity: identitySettingsFromEnv(),
    audit: auditSettingsFromEnv(),
    engineId: id,
    http: httpSettingsFromEnv(),
    network: networkPolicyFromEnv(process.env, host, port),
    secretKey: process.env[SECRET_KEY_ENV],
    secretKeyFile: join(dataRoot, SECRET_KEY_FILE),
    stateDir: dataRoot,
    workers: workersFromEnv(),
    diskGuard: diskGuardSettingsFromEnv(process.env, dataRoot),
    provenance: provenanceBoundsFromEnv(process.env, !process.env.DATABASE_URL),
  });
  stops.unshift(engine.close);
  if (embeddedPostgres) {
    reportEmbeddedPostgres(engine.services, embeddedPostgres, log);
    const maintenance = startEmbeddedMaintenance(engine.services.repositories.maintenance, log);
    stops.unshift(async () => maintenance.stop());
  }
  log.info({ url: engine.url }, `Millrace is running at ${engine.url}`);

  let closing = false;
  const shutdown = async (sig: string) => {
    if (closing) return;
    closing = true;
    log.info(`${sig}: stopping`);
    for (const s of stops) {
      await s().catch((e) => log.error({ err: e }, `while stopping: ${errorMessage(e)}; the engine exits anyway (its leases are freed when its Postgres sessions end)`));
    }
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((e) => {
  log.fatal({ err: e }, `failed to start: ${errorMessage(e)}; check the settings it names (DATABASE_URL, KAFKA_BROKERS, PORT, MILLRACE_*)`);
  process.exit(1);
});
