import type { DeploymentRepository } from "../db/deployments.js";
import type { ProvenanceRepository } from "../db/provenance.js";
import type { KafkaClient } from "../kafka/index.js";
import { errorMessage, logger } from "../log.js";
import type { PlanLookup } from "./plans.js";
import { ProvenanceRecorder } from "./recorder.js";
import { ReplayService } from "./replay.js";
import { ProvenanceStore } from "./store.js";

export { ProvenanceRecorder, type ProvenanceRecorderStats } from "./recorder.js";
export { ProvenanceStore, type ProvenanceEvent, type LineageGraph } from "./store.js";
export { ReplayService, type ReplayResult, type ReplayRangeResult } from "./replay.js";
export { EVENT_TYPES, type EventType, deriveEvents } from "./events.js";

export interface Provenance {
  /** absent when recording is off (MILLRACE_PROVENANCE=off) */
  recorder?: ProvenanceRecorder;
  store: ProvenanceStore;
  /** absent without Kafka */
  replay?: ReplayService;
  close(): Promise<void>;
}

/**
 * Provenance of this engine: the recorder (an observer to add to the runner's Observers), the
 * queries and replay. Its rows go through a repository on a small pg pool of their own (see
 * db/index.ts), so the batch INSERTs never queue behind (or ahead of) the API's queries. Rows
 * older than MILLRACE_PROVENANCE_RETENTION_HOURS (default 24) are deleted every 10 minutes.
 */
export function startProvenance(opts: {
  rows: ProvenanceRepository;
  deployments: DeploymentRepository;
  engineId: string;
  kafka?: KafkaClient;
  plans?: PlanLookup;
  enabled?: boolean;
  retentionHours?: number;
}): Provenance {
  const log = logger.child({ module: "provenance", engineId: opts.engineId });
  const enabled = opts.enabled ?? process.env.MILLRACE_PROVENANCE !== "off";
  const retention = opts.retentionHours ?? Number(process.env.MILLRACE_PROVENANCE_RETENTION_HOURS ?? 24);
  const store = new ProvenanceStore(opts.rows);
  const recorder = enabled ? new ProvenanceRecorder({ repository: opts.rows, engineId: opts.engineId, plans: opts.plans, log }) : undefined;
  recorder?.start();
  const replay = opts.kafka ? new ReplayService({ kafka: opts.kafka, deployments: opts.deployments, rows: opts.rows, store, engineId: opts.engineId }) : undefined;
  const prune = () => {
    if (!(Number.isFinite(retention) && retention > 0)) return;
    store.prune(retention).catch((e) =>
      log.error({ err: e }, `provenance retention: deleting lineage older than ${retention} h failed: ${errorMessage(e)}; retried in 10 min (the table grows until then)`),
    );
  };
  const pruneTimer = setInterval(prune, 600_000);
  pruneTimer.unref();
  return {
    recorder,
    store,
    replay,
    async close() {
      clearInterval(pruneTimer);
      await recorder?.close();
      await replay?.close();
    },
  };
}
