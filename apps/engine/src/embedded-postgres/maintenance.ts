import type { MaintenanceRepository } from "../db/index.js";
import { errorMessage, type Logger } from "../log.js";

/**
 * What a Postgres server's background workers do, for the embedded database, which has none
 * (PGlite is Postgres single-user: no checkpointer, no autovacuum):
 * - a CHECKPOINT every `checkpointMs`, so the WAL is recycled (server.ts caps it at 64 MB) instead
 *   of growing with every write for as long as the engine runs;
 * - a VACUUM (ANALYZE) of the tables updated in place every `vacuumMs` (see db/maintenance.ts), so
 *   a week of running does not pile up dead rows.
 */
export function startEmbeddedMaintenance(
  maintenance: MaintenanceRepository,
  log: Logger,
  { checkpointMs = 60_000, vacuumMs = 600_000 }: { checkpointMs?: number; vacuumMs?: number } = {},
): { stop(): void } {
  const task = (what: string, everyMs: number, work: () => Promise<unknown>) => {
    let running = false;
    let failing = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      work()
        .then(() => {
          if (failing) log.info(`embedded Postgres: ${what} works again`);
          failing = false;
        })
        .catch((e: unknown) => {
          if (!failing) log.warn({ err: e }, `embedded Postgres: ${what} failed: ${errorMessage(e)}; retried every ${Math.round(everyMs / 1000)} s (not logged again until it works); until then its files may grow`);
          failing = true;
        })
        .finally(() => (running = false));
    }, everyMs);
    timer.unref();
    return timer;
  };
  const timers = [task("CHECKPOINT", checkpointMs, () => maintenance.checkpoint()), task("VACUUM", vacuumMs, () => maintenance.vacuumUpdatedTables())];
  return { stop: () => timers.forEach(clearInterval) };
}
