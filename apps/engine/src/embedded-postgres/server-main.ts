// The embedded Postgres process: PGlite, its socket and the password gate (server.ts), forked by
// the engine under `pnpm start` (supervisor.ts). Its own process so that a crash of the database
// does not take the flows down, and the engine's heap and PGlite's WASM memory are measured apart.
// It never outlives the engine: when the IPC channel closes (even after kill -9) it closes PGlite
// and exits.
import { errorMessage, logger } from "../log.js";
import type { EmbeddedPostgresSettings, FromEmbeddedPostgres, ToEmbeddedPostgres } from "./protocol.js";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./server.js";

const log = logger.child({ module: "embedded-postgres" });
let starting: Promise<EmbeddedPostgres | undefined> | undefined;
let stopping = false;
let memoryTimer: NodeJS.Timeout | undefined;

function send(message: FromEmbeddedPostgres): void {
  if (process.connected) process.send!(message);
}

/** Exits with code 1 once `message` has gone out (process.exit right after send may drop it). */
function exitAfter(message: FromEmbeddedPostgres): void {
  if (!process.connected) process.exit(1);
  process.send!(message, () => process.exit(1));
  setTimeout(() => process.exit(1), 1000).unref();
}

const rss = () => process.memoryUsage().rss;

async function start(settings: EmbeddedPostgresSettings): Promise<EmbeddedPostgres | undefined> {
  try {
    const server = await startEmbeddedPostgres(settings.dataDir, settings.port, settings.passwordFile);
    if (stopping) return server; // stop() closes it
    send({ type: "ready", port: server.port, rssBytes: rss() });
    memoryTimer = setInterval(() => send({ type: "memory", rssBytes: rss() }), settings.memoryIntervalMs);
    return server;
  } catch (e) {
    log.fatal({ err: e, dataDir: settings.dataDir, port: settings.port }, `the embedded Postgres could not start: ${errorMessage(e)}; it exits (check that port ${settings.port} is free (MILLRACE_PG_PORT) and that ${settings.dataDir} is a readable PGlite data directory)`);
    exitAfter({ type: "failed", error: errorMessage(e) });
    return undefined;
  }
}

async function stop(why: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(memoryTimer);
  log.info(`embedded Postgres stopping (${why}): closing PGlite so its data is written out`);
  try {
    await (await starting)?.stop();
  } catch (e) {
    log.error({ err: e }, `embedded Postgres: closing failed: ${errorMessage(e)}; it exits anyway (PGlite recovers its data directory on the next start)`);
  }
  process.exit(0);
}

process.on("message", (m: ToEmbeddedPostgres) => {
  if (m.type === "start") starting ??= start(m.settings);
  else if (m.type === "stop") void stop("the engine asked");
});
process.on("SIGTERM", () => void stop("SIGTERM"));
// Ctrl-C in a terminal reaches the whole process group: the engine stops the database itself, after its flows
process.on("SIGINT", () => {});
process.on("disconnect", () => void stop("the engine process is gone"));
// a database in an unknown state is not kept serving: the engine starts a fresh process
process.on("uncaughtException", (err) => {
  log.fatal({ err }, `embedded Postgres: uncaught exception: ${errorMessage(err)}; the process exits and the engine starts it again (a bug: report it with this stack)`);
  process.exit(1);
});
