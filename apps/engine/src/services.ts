import type { CatalogLike } from "@millrace/flow";
import type { Repositories } from "./db/index.js";
import type { DeploymentManager } from "./deployments/manager.js";
import type { StatsService } from "./deployments/stats-service.js";
import type { KafkaClient } from "./kafka/index.js";
import type { Observers } from "./runtime/observer.js";
import type { Health } from "./health.js";
import type { EngineMetrics } from "./metrics/index.js";
import type { Provenance } from "./provenance/index.js";
import type { LoadedSecrets } from "./secrets/index.js";
import type { Identity } from "./auth/index.js";
import type { AuditLog } from "./audit/index.js";
import type { Connections } from "./connections/index.js";
import type { SchemaRegistry } from "./schema-registry/index.js";
import type { TableSnapshots } from "./tables/snapshots.js";

/** Everything the API layer reaches; built once per engine process (see engine.ts). */
export interface Services {
  /** Postgres, one repository per table group: the API reads and writes only through these. */
  repositories: Repositories;
  catalog: CatalogLike;
  /** the key sealing sensitive values at rest, and where it comes from (key rotation) */
  secrets: LoadedSecrets;
  health(): Promise<Health>;
  /** who is calling (sessions, API tokens), logins, tokens and users */
  identity: Identity;
  /** Deploy/stop/status of flows (absent without Kafka). */
  deployments?: DeploymentManager;
  /** Live per-node/per-edge stats summed over engines. */
  stats?: StatsService;
  /** Runner hooks: add an observer to see every batch (provenance, taps, metrics). */
  observers?: Observers;
  kafka?: KafkaClient;
  /** Lineage queries and replay. */
  provenance?: Provenance;
  /** Prometheus metrics served at /metrics. */
  metrics?: EngineMetrics;
  /** who did what, when, from where (Postgres and the mr-audit topic); absent in tests that build no engine */
  audit?: AuditLog;
  /** named connections: saving, listing (redacted), opening for the engine, testing; absent in tests that build no engine */
  connections?: Connections;
  /** the Confluent-compatible schema registry (also served over REST at /schema-registry); absent in tests that build no engine */
  schemaRegistry?: SchemaRegistry;
  /** snapshots of tables (absent without Kafka or a data directory) */
  tableSnapshots?: TableSnapshots;
}
