import { Counter, Gauge, type Registry } from "prom-client";
import type { EmbeddedPostgresStatus } from "../embedded-postgres/index.js";

/** The embedded Postgres process's figures, read at scrape time (the engine's own memory is millrace_process_process_resident_memory_bytes). */
export function registerEmbeddedPostgresMetrics(registry: Registry, status: () => EmbeddedPostgresStatus): void {
  new Gauge({
    name: "millrace_embedded_postgres_up",
    help: "1 while the embedded Postgres process (pnpm start's PGlite) serves, 0 while it is being started again",
    registers: [registry],
    collect() {
      this.set(status().up ? 1 : 0);
    },
  });
  new Gauge({
    name: "millrace_embedded_postgres_resident_memory_bytes",
    help: "Resident memory of the embedded Postgres process at its last report (every 5 s); absent while it is down",
    registers: [registry],
    collect() {
      this.reset();
      const rss = status().rssBytes;
      if (rss !== undefined) this.set(rss);
    },
  });
  new Counter({
    name: "millrace_embedded_postgres_restarts_total",
    help: "Times the embedded Postgres process was started again after it died",
    registers: [registry],
    collect() {
      // the supervisor counts; a counter only goes up, so it is set anew from that count
      this.reset();
      this.inc(status().restarts);
    },
  });
}
