import type { ProvenanceStorageStats } from "../provenance/bounds.js";
import type { DeploymentRepository } from "../db/deployments.js";
import type { StatsService } from "../deployments/stats-service.js";
import type { PlanLookup } from "../provenance/plans.js";
import type { ProvenanceRecorder } from "../provenance/recorder.js";
import type { DiskStatus } from "../disk-guard/index.js";
import { registerDiskMetrics } from "./disk.js";
import { EngineMetrics } from "./metrics.js";

export { EngineMetrics } from "./metrics.js";

/** The engine's /metrics: runner counters from the observer, queue depths from the stats service (Kafka lag, cached 1 s). */
export function createEngineMetrics(d: { deployments: DeploymentRepository; stats?: StatsService; plans?: PlanLookup; provenance?: ProvenanceRecorder; provenanceStorage?: () => ProvenanceStorageStats; disk?: () => DiskStatus }): EngineMetrics {
  const metrics = new EngineMetrics({
    plans: d.plans,
    provenance: d.provenance ? () => d.provenance!.snapshot() : undefined,
    provenanceStorage: d.provenanceStorage,
    queues: d.stats
      ? async () => {
          const out: { flowId: string; edgeId: string; queue: number }[] = [];
          for (const flowId of await d.deployments.runningFlowIds()) {
            const s = await d.stats!.snapshot(flowId);
            for (const [edgeId, e] of Object.entries(s.edges)) if (e.mode === "durable") out.push({ flowId, edgeId, queue: e.queue });
          }
          return out;
        }
      : undefined,
  });
  if (d.disk) registerDiskMetrics(metrics.registry, d.disk);
  return metrics;
}
export { registerEmbeddedPostgresMetrics } from "./embedded-postgres.js";
