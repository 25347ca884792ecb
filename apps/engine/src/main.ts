// The engine process: `tsx apps/engine/src/main.ts` (what `pnpm start` runs after starting Kafka).
import "./kafka/patches.js"; // first of all: kafkajs internals replaced before anything loads kafkajs
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { engineId, portFromEnv } from "./config.js";
import { startEmbeddedPostgres } from "./embedded-postgres.js";
import { startEngine } from "./engine.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

// Last line of defence: every runtime path catches its own errors (a failing stage is logged,
// reported as a batch error and retried), but an unhandled rejection from a library callback
// must never take every deployed flow on this engine down with it.
let unhandled = 0;
process.on("unhandledRejection", (reason) => {
  unhandled++;
  const msg = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
  console.error(`[engine] unhandled rejection #${unhandled} (ignored, the engine keeps running): ${msg}`);
});

async function main() {
  const stops: (() => Promise<void>)[] = [];
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const dataDir = resolve(process.env.MILLRACE_DATA ?? join(repoRoot, ".millrace"), "pgdata");
    const pg = await startEmbeddedPostgres(dataDir, portFromEnv("MILLRACE_PG_PORT", 5433));
    stops.push(pg.stop);
    databaseUrl = pg.url;
    console.log(`[engine] embedded Postgres (PGlite) with data in ${dataDir}`);
  }
  const webDist = process.env.MILLRACE_WEB_DIST ?? join(repoRoot, "apps/web/dist");
  const engine = await startEngine({
    host: process.env.MILLRACE_HOST ?? "127.0.0.1",
    port: portFromEnv("PORT", 8080),
    databaseUrl,
    kafkaBrokers: (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",").map((s) => s.trim()).filter(Boolean),
    webDist: existsSync(webDist) ? webDist : undefined,
    engineId: engineId(),
  });
  stops.unshift(engine.close);
  console.log(`[engine] Millrace is running at ${engine.url}`);

  let closing = false;
  const shutdown = async (sig: string) => {
    if (closing) return;
    closing = true;
    console.log(`[engine] ${sig}: stopping`);
    for (const s of stops) await s().catch((e) => console.error(`[engine] while stopping: ${e}`));
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((e) => {
  console.error(`[engine] failed to start: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
