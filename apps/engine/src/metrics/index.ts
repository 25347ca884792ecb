import type { PrismaClient } from "@millrace/db";
import type { StatsService } from "../deployments/stats-service.js";
import type { PlanLookup } from "../provenance/plans.js";
import type { ProvenanceRecorder } from "../provenance/recorder.js";
import { EngineMetrics } from "./metrics.js";

export { EngineMetrics } from "./metrics.js";

/** The engine's /metrics: runner counters from the observer, queue depths from the stats service (Kafka lag, cached 1 s). */
export function createEngineMetrics(d: { db: PrismaClient; stats?: StatsService; plans?: PlanLookup; provenance?: ProvenanceRecorder }): EngineMetrics {
  return new EngineMetrics({
    plans: d.plans,
    provenance: d.provenance ? () => d.provenance!.snapshot() : undefined,
    queues: d.stats
      ? async () => {
          const rows = await d.db.$queryRaw<{ flow_id: string }[]>`SELECT flow_id FROM deployment WHERE status = 'running'`;
          const out: { flowId: string; edgeId: string; queue: number }[] = [];
          for (const r of rows) {
            const s = await d.stats!.snapshot(r.flow_id);
            for (const [edgeId, e] of Object.entries(s.edges)) if (e.mode === "durable") out.push({ flowId: r.flow_id, edgeId, queue: e.queue });
          }
          return out;
        }
      : undefined,
  });
}
