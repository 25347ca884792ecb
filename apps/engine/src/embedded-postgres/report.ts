import { withEmbeddedPostgres } from "../health.js";
import type { Logger } from "../log.js";
import { registerEmbeddedPostgresMetrics } from "../metrics/index.js";
import type { Services } from "../services.js";
import type { EmbeddedPostgresProcess } from "./supervisor.js";

const mb = (bytes = 0) => Math.round(bytes / 1024 / 1024);

/**
 * Puts the embedded Postgres process into the engine's /metrics and /healthz and logs both
 * processes' memory once. The engine's health and metrics know nothing of where Postgres runs:
 * the code that started it adds its figures.
 */
export function reportEmbeddedPostgres(services: Services, pg: EmbeddedPostgresProcess, log: Logger): void {
  if (services.metrics) registerEmbeddedPostgresMetrics(services.metrics.registry, () => pg.status());
  const health = services.health;
  services.health = async () => withEmbeddedPostgres(await health(), pg.status());
  const { pid, rssBytes } = pg.status();
  const engineRssBytes = process.memoryUsage().rss;
  log.info({ engineRssBytes, embeddedPostgresRssBytes: rssBytes }, `resident memory: engine ${mb(engineRssBytes)} MB, embedded Postgres (pid ${pid}) ${mb(rssBytes)} MB (both in /metrics and /healthz)`);
}
