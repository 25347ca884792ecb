import { durationMs } from "@millrace/processors/catalog/aggregate/duration";
import { SNAPSHOT_EVERY_MIN_MS } from "@millrace/processors/catalog/table/spec";
import type { DeploymentRepository } from "../db/index.js";
import type { Logger } from "../log.js";
import type { ExecutionPlan } from "../planner/index.js";
import { snapshotSettingsFromEnv, type SnapshotSettings } from "./snapshot-settings.js";
import { TableSnapshots, type TableSnapshotsDeps } from "./snapshots.js";

/** A stateful node of a running deployment with a `snapshotEvery`, and how often that is. */
export interface ScheduledSnapshot {
  flowId: string;
  nodeId: string;
  everyMs: number;
}

/** The stateful nodes of these plans that ask for snapshots on a schedule. */
export function scheduledSnapshots(plans: readonly { flowId: string; plan: ExecutionPlan }[]): ScheduledSnapshot[] {
  const out: ScheduledSnapshot[] = [];
  for (const { flowId, plan } of plans) {
    for (const n of plan.nodes) {
      const every = n.state ? n.config.snapshotEvery : undefined;
      const everyMs = typeof every === "string" ? durationMs(every) : undefined;
      // a deployment planned before the period had a minimum keeps its config: it gets the minimum
      if (everyMs) out.push({ flowId, nodeId: n.id, everyMs: Math.max(everyMs, SNAPSHOT_EVERY_MIN_MS) });
    }
  }
  return out;
}

/**
 * Takes the snapshots nodes ask for with `snapshotEvery`: every engine looks every `checkMs`,
 * and the node's snapshot lock lets one of them take a due snapshot (the others skip it, and
 * find it young enough once they hold the lock).
 */
export class SnapshotSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private readonly failedAt = new Map<string, number>();

  constructor(
    private readonly o: { snapshots: TableSnapshots; deployments: Pick<DeploymentRepository, "running">; checkMs: number; log: Logger },
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.check().finally(() => (this.running = undefined));
    }, this.o.checkMs);
    this.timer.unref();
  }

  /** One look at every scheduled node; a due one is taken, one at a time. */
  async check(): Promise<void> {
    let due: ScheduledSnapshot[];
    try {
      const running = await this.o.deployments.running();
      due = scheduledSnapshots(running.flatMap((d) => (d.plan ? [{ flowId: d.flowId, plan: d.plan as ExecutionPlan }] : [])));
    } catch (e) {
      this.o.log.warn({ err: e }, `scheduled table snapshots: cannot list the running deployments (${(e as Error).message}); trying again in ${this.o.checkMs / 1000} s`);
      return;
    }
    for (const s of due) {
      if (this.closed) return;
      const name = `${s.flowId}/${s.nodeId}`;
      // a failing snapshot is tried again after its period, not at every check
      const failed = this.failedAt.get(name);
      if (failed !== undefined && Date.now() - failed < s.everyMs) continue;
      try {
        const [newest] = await this.o.snapshots.list(s.flowId, s.nodeId, 1);
        if (newest && Date.now() - newest.takenAt.getTime() < s.everyMs) continue;
        await this.o.snapshots.take({ flowId: s.flowId, nodeId: s.nodeId, takenBy: "schedule", unlessYoungerThanMs: s.everyMs });
        this.failedAt.delete(name);
      } catch (e) {
        this.failedAt.set(name, Date.now());
        this.o.log.warn({ err: e, flowId: s.flowId, nodeId: s.nodeId }, `scheduled table snapshot of ${name} failed: ${(e as Error).message}`);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}

/** The engine's table snapshots: the service the API asks, and the schedule, started. */
export function startTableSnapshots(d: Omit<TableSnapshotsDeps, "settings"> & { settings?: SnapshotSettings }): { snapshots: TableSnapshots; close(): Promise<void> } {
  const settings = d.settings ?? snapshotSettingsFromEnv(d.dataDir);
  const snapshots = new TableSnapshots({ ...d, settings });
  void snapshots.removeLeftovers().catch((e: unknown) => d.log.warn({ err: e }, `table snapshots: cannot delete the temporary stores of interrupted snapshots: ${(e as Error).message}`));
  const schedule = new SnapshotSchedule({ snapshots, deployments: d.deployments, checkMs: settings.checkMs, log: d.log });
  schedule.start();
  return { snapshots, close: () => schedule.close() };
}
