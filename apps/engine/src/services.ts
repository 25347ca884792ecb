import type { PrismaClient } from "@millrace/db";
import type { CatalogLike } from "@millrace/flow";
import type { DeploymentManager } from "./deployments/manager.js";
import type { StatsService } from "./deployments/stats-service.js";
import type { FlowStore } from "./flows/flow-store.js";
import type { KafkaClient } from "./kafka/index.js";
import type { Observers } from "./runtime/observer.js";
import type { Health } from "./health.js";
import type { EngineMetrics } from "./metrics/index.js";
import type { Provenance } from "./provenance/index.js";

/** Everything the API layer reaches; built once per engine process (see engine.ts). */
export interface Services {
  db: PrismaClient;
  flows: FlowStore;
  catalog: CatalogLike;
  health(): Promise<Health>;
  /** Deploy/stop/status of flows (engine issue 4). */
  deployments?: DeploymentManager;
  /** Live per-node/per-edge stats summed over engines. */
  stats?: StatsService;
  /** Runner hooks: add an observer to see every batch (provenance, taps, metrics). */
  observers?: Observers;
  kafka?: KafkaClient;
  /** Lineage queries and replay (issue 4 items 7, 8). */
  provenance?: Provenance;
  /** Prometheus metrics served at /metrics. */
  metrics?: EngineMetrics;
}
