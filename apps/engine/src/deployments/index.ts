import type { CatalogLike } from "@millrace/flow";
import type { NetworkPolicy } from "@millrace/processors";
import { implementations } from "@millrace/processors/runtime";
import type { Repositories } from "../db/index.js";
import type { DiskState } from "../disk-guard/index.js";
import { ConnectionKafkaClients, createKafka, kafkaLoggerFor, type KafkaClient } from "../kafka/index.js";
import { Connections } from "../connections/index.js";
import { logger } from "../log.js";
import { edgeReadWindowFromEnv, topicRetentionFromEnv } from "../config.js";
import { EdgeLagMonitor } from "../runtime/edge-lag.js";
import { Observers } from "../runtime/observer.js";
import { StatsRecorder } from "../runtime/stats.js";
import { EdgePurger } from "./edge-purge.js";
import { ownRegistryStore } from "../formats/own-registry.js";
import { SchemaRegistry } from "../schema-registry/registry.js";
import { registrySettingsFromEnv } from "../schema-registry/settings.js";
import { LeaseManager } from "./leases.js";
import { DeploymentManager } from "./manager.js";
import { StatsService } from "./stats-service.js";

export { DeploymentManager, type DeploymentStatus } from "./manager.js";
export { StatsService, type FlowStats, type NodeStats, type EdgeStats } from "./stats-service.js";
export { LeaseManager } from "./leases.js";
export { handleHttpIngest } from "./http-ingest.js";

export interface DeploymentRuntime {
  kafka: KafkaClient;
  observers: Observers;
  deployments: DeploymentManager;
  stats: StatsService;
  close(): Promise<void>;
}

/**
 * Starts this engine's share of the deployed flows: the reconcile loop (resumes every deployed
 * flow), single-owner leases, the stats recorder and its publisher.
 */
export function startDeployments(opts: {
  repositories: Repositories;
  catalog: CatalogLike;
  databaseUrl: string;
  kafkaBrokers: string[];
  engineId: string;
  /** lease retry interval (ms, default 2000): how fast a source moves when its engine dies */
  leaseIntervalMs?: number;
  /** where connectors may connect (absent: anywhere) */
  network?: NetworkPolicy;
  /** single-owner leases (default: competing for them through Postgres); a runtime worker takes none */
  leases?: LeaseManager;
  /** the engine's disk guard: sources hold while it is low, and the stats report it */
  disk?: DiskState;
  /** delete what every reader of the flows' own topics has committed (default true; one process per engine is enough) */
  purgeReadRecords?: boolean;
  /** where stateful nodes keep their tables */
  stateDir?: string;
}): DeploymentRuntime {
  const log = logger.child({ engineId: opts.engineId });
  const kafka = createKafka({ brokers: opts.kafkaBrokers, clientId: `millrace-${opts.engineId}`, logger: kafkaLoggerFor(log.child({ module: "kafkajs" })) });
  const observers = new Observers(log.child({ module: "observers" }));
  const recorder = new StatsRecorder();
  observers.add(recorder);
  const leases = opts.leases ?? new LeaseManager(opts.databaseUrl, log.child({ module: "leases" }), opts.leaseIntervalMs ?? 2000);
  // one per engine: back pressure, stats and /metrics read the same queue measurements
  const lag = new EdgeLagMonitor(kafka);
  // the same tables and rules as the REST API: a schema registered there is readable here at once
  const schemaRegistry = ownRegistryStore(new SchemaRegistry(opts.repositories.schemaRegistry, registrySettingsFromEnv()));
  const deployments = new DeploymentManager({
    repositories: opts.repositories,
    lag,
    catalog: opts.catalog,
    kafka,
    leases,
    observers,
    stats: recorder,
    implementations,
    engineId: opts.engineId,
    network: opts.network,
    disk: opts.disk,
    log,
    retention: topicRetentionFromEnv(),
    connections: new Connections(opts.repositories.connections, opts.network, log.child({ module: "connections" })),
    connectionClients: new ConnectionKafkaClients(`millrace-${opts.engineId}`, kafkaLoggerFor(log.child({ module: "kafkajs" }))),
    schemaRegistry,
    stateDir: opts.stateDir,
  });
  const stats = new StatsService(opts.repositories, lag, recorder, opts.engineId, (id) => {
    for (const { deploymentId, flowId } of recorder.tracked()) if (deploymentId === id) return deployments.runtime(flowId)?.spec.deploymentId === id;
    return false;
  }, opts.disk);
  const purger = opts.purgeReadRecords === false ? undefined : new EdgePurger(kafka, () => deployments.runningPlans(), log.child({ module: "edge-purge" }), edgeReadWindowFromEnv());
  leases.start();
  deployments.start();
  stats.start();
  purger?.start();
  return {
    kafka,
    observers,
    deployments,
    stats,
    async close() {
      await purger?.close();
      await deployments.close();
      await stats.close();
      await leases.close();
      await kafka.close();
    },
  };
}
