import type { DeploymentRepository } from "../db/deployments.js";
import type { DiskState } from "../disk-guard/index.js";
import type { EngineStatsRepository, PublishedFigures } from "../db/engine-stats.js";
import { errorMessage, logger } from "../log.js";
import { eventLoopDelay, takeEventLoopFigures, type EventLoopFigures } from "../metrics/event-loop.js";
import { OutageLog } from "../outage-log.js";
import type { ExecutionPlan } from "../planner/index.js";
import type { EdgeLagMonitor } from "../runtime/edge-lag.js";
import type { EdgeFigures, EngineFigures, NodeFigures, StatsRecorder } from "../runtime/stats.js";

const log = logger.child({ module: "stats" });

export interface NodeStats extends NodeFigures {
  /** a source paused by back pressure or low disk space (on any engine) */
  paused: boolean;
  /** why, when paused (disk wins when both hold it) */
  pausedFor?: "back-pressure" | "disk";
}

export interface EdgeStats extends EdgeFigures {
  mode: "durable" | "fused";
  /** durable edges: the Kafka topic */
  topic: string | null;
  /** records waiting: topic end offsets − the consumer group's committed offsets (0 for fused edges) */
  queue: number;
  /** back-pressure threshold (durable edges) */
  threshold: number | null;
  /** queue over threshold: the sources feeding it are paused */
  backPressure: boolean;
}

/** One engine running the flow (reported in the last 5 s): how late its main thread ran over its last second. */
export interface EngineLoad {
  engineId: string;
  eventLoopP99Ms: number | null;
  eventLoopMaxMs: number | null;
  /** its disk guard holds its sources: free space is low where its data lives */
  diskLow: boolean;
}

/** The flow's stats, summed over every engine that runs part of it. */
export interface FlowStats {
  flowId: string;
  deploymentId: string | null;
  version: number | null;
  /** running | stopped | failed | not-deployed */
  status: string;
  /** ms since epoch */
  at: number;
  /** engines that reported in the last 5 s */
  engines: number;
  /** those engines, one by one */
  engineLoad: EngineLoad[];
  nodes: Record<string, NodeStats>;
  edges: Record<string, EdgeStats>;
}

/** A row is fresh when its engine published within this many ms; stale rows count in totals but not in rates. */
const FRESH_MS = 5000;

/**
 * Publishes this engine's counters to Postgres (table engine_stats) every second and merges
 * every engine's rows into a flow's stats. A dead engine's totals still count; its rates stop.
 * Queue depths come from the edge-lag monitor (at most a second old).
 */
export class StatsService {
  private timer: NodeJS.Timeout | undefined;
  private publishing = false;
  private readonly publishOutage = new OutageLog(log, "publishing this engine's flow stats to Postgres");
  private readonly loopDelay = eventLoopDelay.reader();
  /** this engine's event-loop figures of its last publish */
  private eventLoop: EventLoopFigures | undefined;

  constructor(
    private readonly repos: { deployments: DeploymentRepository; engineStats: EngineStatsRepository },
    /** queue depths, asked of Kafka at most once a second */
    private readonly lag: EdgeLagMonitor,
    private readonly recorder: StatsRecorder,
    private readonly engineId: string,
    /** deployments this engine still runs (others are published one last time, then forgotten) */
    private readonly isLocal: (deploymentId: string) => boolean,
    /** this engine's disk guard, reported with its figures */
    private readonly disk?: DiskState,
  ) {}

  /** What this engine adds to a deployment's figures about itself. */
  private withEngineFigures(f: EngineFigures): PublishedFigures {
    const out: PublishedFigures = this.eventLoop ? { ...f, eventLoop: this.eventLoop } : f;
    if (this.disk?.low) out.diskLow = true;
    return out;
  }

  start(intervalMs = 1000): void {
    this.timer = setInterval(() => void this.publish().catch((e) => this.publishFailed(e)), intervalMs);
    this.timer.unref();
  }

  async publish(): Promise<void> {
    if (this.publishing) return;
    this.publishing = true;
    try {
      this.eventLoop = takeEventLoopFigures(this.loopDelay) ?? this.eventLoop;
      for (const { deploymentId, flowId } of this.recorder.tracked()) {
        const f = this.recorder.figures(deploymentId);
        if (!f) continue;
        await this.repos.engineStats.publish(this.engineId, deploymentId, flowId, this.withEngineFigures(f));
        if (!this.isLocal(deploymentId)) this.recorder.untrack(deploymentId);
      }
      this.publishOutage.worked();
    } catch (e) {
      this.publishFailed(e);
    } finally {
      this.publishing = false;
    }
  }

  private publishFailed(e: unknown): void {
    this.publishOutage.failed(
      e,
      `publishing this engine's flow stats to Postgres failed (engine ${this.engineId}): ${errorMessage(e)}; the figures shown for its flows stay stale until a later publish succeeds, retried every second (check that Postgres is reachable at DATABASE_URL)`,
    );
  }

  async snapshot(flowId: string): Promise<FlowStats> {
    const now = Date.now();
    const dep = await this.repos.deployments.ofFlow(flowId);
    if (!dep) return { flowId, deploymentId: null, version: null, status: "not-deployed", at: now, engines: 0, engineLoad: [], nodes: {}, edges: {} };
    const plan = dep.plan as ExecutionPlan;
    const rows = await this.repos.engineStats.ofDeployment(dep.id);
    const live = this.recorder.figures(dep.id, now);
    const all: { engineId: string; figures: PublishedFigures; fresh: boolean }[] = rows
      .filter((r) => !(live && r.engineId === this.engineId))
      .map((r) => ({ engineId: r.engineId, figures: r.stats, fresh: r.ageMs < FRESH_MS }));
    if (live) all.push({ engineId: this.engineId, figures: this.withEngineFigures(live), fresh: true });
    const queues = dep.status === "running" ? await this.lag.queues(plan.edges, 1000) : new Map<string, number>();

    const pausedStages = new Set<string>();
    const overEdges = new Set<string>();
    const diskStages = new Set<string>();
    for (const a of all) {
      if (!a.fresh) continue;
      for (const stage of a.figures.pausedForDisk ?? []) diskStages.add(stage);
      for (const [stage, edges] of Object.entries(a.figures.paused ?? {})) {
        pausedStages.add(stage);
        for (const e of edges) overEdges.add(e);
      }
    }
    const nodes: Record<string, NodeStats> = {};
    for (const n of plan.nodes) {
      const s: NodeStats = { in: 0, out: 0, errors: 0, bytesIn: 0, bytesOut: 0, rate1s: 0, rate1m: 0, rate5m: 0, in5m: 0, out5m: 0, paused: pausedStages.has(n.id) && n.stage === n.id };
      for (const a of all) {
        const f = a.figures.nodes[n.id];
        if (!f) continue;
        s.in += f.in;
        s.out += f.out;
        s.errors += f.errors;
        s.bytesIn += f.bytesIn;
        s.bytesOut += f.bytesOut;
        if (a.fresh) {
          s.rate1s += f.rate1s;
          s.rate1m += f.rate1m;
          s.rate5m += f.rate5m;
          s.in5m += f.in5m;
          s.out5m += f.out5m;
        }
        if (f.lastError !== undefined && (s.lastErrorAt === undefined || (f.lastErrorAt ?? 0) > s.lastErrorAt)) {
          s.lastError = f.lastError;
          s.lastErrorAt = f.lastErrorAt;
        }
        if (a.fresh && f.restoring) {
          const r = (s.restoring ??= { partitions: 0, done: 0, total: 0 });
          r.partitions += f.restoring.partitions;
          r.done += f.restoring.done;
          r.total += f.restoring.total;
        }
        for (const [topic, r] of Object.entries(f.replication ?? {})) {
          const sum = ((s.replication ??= {})[topic] ??= { target: r.target, records: 0, lag: 0, partitions: 0 });
          sum.records += r.records;
          // each engine counts the partitions it copies; an engine gone quiet no longer copies any
          if (a.fresh) {
            sum.lag += r.lag;
            sum.partitions += r.partitions;
          }
        }
      }
      if (s.paused) s.pausedFor = diskStages.has(n.id) ? "disk" : "back-pressure";
      nodes[n.id] = s;
    }
    const edges: Record<string, EdgeStats> = {};
    for (const e of plan.edges) {
      const queue = queues.get(e.id) ?? 0;
      const s: EdgeStats = {
        records: 0,
        bytes: 0,
        rate1s: 0,
        rate1m: 0,
        rate5m: 0,
        mode: e.mode,
        topic: e.topic ?? null,
        queue,
        threshold: e.queueThreshold ?? null,
        backPressure: overEdges.has(e.id) || (e.queueThreshold !== undefined && queue > e.queueThreshold),
      };
      for (const a of all) {
        const f = a.figures.edges[e.id];
        if (!f) continue;
        s.records += f.records;
        s.bytes += f.bytes;
        if (a.fresh) {
          s.rate1s += f.rate1s;
          s.rate1m += f.rate1m;
          s.rate5m += f.rate5m;
        }
      }
      edges[e.id] = s;
    }
    const engineLoad = all
      .filter((a) => a.fresh)
      .map((a) => ({ engineId: a.engineId, eventLoopP99Ms: a.figures.eventLoop?.p99Ms ?? null, eventLoopMaxMs: a.figures.eventLoop?.maxMs ?? null, diskLow: a.figures.diskLow === true }))
      .sort((a, b) => a.engineId.localeCompare(b.engineId));
    return { flowId, deploymentId: dep.id, version: dep.version, status: dep.status, at: now, engines: engineLoad.length, engineLoad, nodes, edges };
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.publish();
  }
}
