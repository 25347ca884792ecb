import type { DeploymentRepository } from "../db/deployments.js";
import type { ProvenanceRepository } from "../db/provenance.js";
import type { KafkaClient } from "../kafka/index.js";
import { logger } from "../log.js";
import { ProvenanceJanitor, type ProvenanceBounds } from "./bounds.js";
import type { PlanLookup } from "./plans.js";
import { ProvenanceRecorder } from "./recorder.js";
import { ReplayService } from "./replay.js";
import { ProvenanceStore } from "./store.js";

export { ProvenanceRecorder, type ProvenanceRecorderStats } from "./recorder.js";
export { ProvenanceStore, type ProvenanceEvent, type LineageGraph } from "./store.js";
export { ReplayService, type ReplayResult, type ReplayRangeResult } from "./replay.js";
export { EVENT_TYPES, type EventType, deriveEvents } from "./events.js";
export { provenanceBoundsFromEnv, type ProvenanceBounds, type ProvenanceStorageStats } from "./bounds.js";

export interface Provenance {
  /** absent when recording is off (MILLRACE_PROVENANCE=off) */
  recorder?: ProvenanceRecorder;
  store: ProvenanceStore;
  /** absent without Kafka */
  replay?: ReplayService;
  /** keeps the table within its bounds (size and time); its stats go to /metrics */
  janitor: ProvenanceJanitor;
  close(): Promise<void>;
}

/**
 * Provenance of this engine: the recorder (an observer to add to the runner's Observers), the
 * queries and replay. Its rows go through a repository on a small pg pool of their own (see
 * db/index.ts), so the batch INSERTs never queue behind (or ahead of) the API's queries. The
 * table is bounded by size and time (bounds.ts): its oldest partitions are dropped whole.
 */
export function startProvenance(opts: {
  rows: ProvenanceRepository;
  deployments: DeploymentRepository;
  engineId: string;
  kafka?: KafkaClient;
  plans?: PlanLookup;
  enabled?: boolean;
  bounds: ProvenanceBounds;
}): Provenance {
  const log = logger.child({ module: "provenance", engineId: opts.engineId });
  const enabled = opts.enabled ?? process.env.MILLRACE_PROVENANCE !== "off";
  const store = new ProvenanceStore(opts.rows);
  const recorder = enabled ? new ProvenanceRecorder({ repository: opts.rows, engineId: opts.engineId, plans: opts.plans, log }) : undefined;
  recorder?.start();
  const replay = opts.kafka ? new ReplayService({ kafka: opts.kafka, deployments: opts.deployments, rows: opts.rows, store, engineId: opts.engineId }) : undefined;
  // even with recording off here: another engine may be writing, and old rows must still go
  const janitor = new ProvenanceJanitor(opts.rows, opts.bounds, log);
  janitor.start();
  return {
    recorder,
    store,
    replay,
    janitor,
    async close() {
      await janitor.close();
      await recorder?.close();
      await replay?.close();
    },
  };
}
