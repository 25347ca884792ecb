/**
 * Live figures, apart from the flow document: a 1/s update here never re-renders the
 * graph nor touches undo history. Node components subscribe to their own entry only, and an
 * entry whose figures did not change keeps its object, so an idle node does not re-render.
 *
 * Per node it also keeps a short history of records/s (one sample per stats tick, ~60 s) for
 * the sparkline, and per tick it notes when the tick arrived: figures older than STALE_MS are
 * shown greyed as "stale", never as live.
 */
import { create } from "zustand";
import type { EdgeStats, EngineLoad, LiveStats, NodeStats } from "../api/types";
import { sameRestoring } from "../tables/restore";

/** samples kept per node: one a tick, one tick a second → the last minute */
export const SPARK_SAMPLES = 60;
/** no tick for longer than this: the figures are stale (engine unreachable, stream stalled) */
export const STALE_MS = 3000;
/** an error younger than this marks the node as failing now (NiFi shows bulletins for 5 minutes) */
export const RECENT_ERROR_MS = 5 * 60_000;

/** A node's recent records/s, oldest first (at most SPARK_SAMPLES; immutable: a new tick makes a new one). */
export type Series = readonly number[];

export interface NodeLive extends NodeStats {
  /** records/s out over the last tick, from the change of `out` (undefined on the first tick); a source's is rate1s */
  rateOut?: number;
}

interface StatsState {
  flowId: string | null;
  /** the engine's time of the last snapshot */
  at: number | string | null;
  /** this browser's clock when the last tick arrived (staleness is measured on one clock) */
  receivedAt: number | null;
  /** this browser's clock when the subscription started: no tick at all for STALE_MS is stale too */
  since: number | null;
  stale: boolean;
  nodes: Record<string, NodeLive>;
  edges: Record<string, EdgeStats>;
  /** per node: records/s of the last ticks (in; a source: out) */
  series: Record<string, Series>;
  /** the engines running the flow, with their main thread's delay */
  engineLoad: readonly EngineLoad[];
  /** the flow stopped: the figures are the totals its last run ended with, not live */
  lastRun: boolean;
}

const empty = (): StatsState => ({ flowId: null, at: null, receivedAt: null, since: null, stale: false, nodes: {}, edges: {}, series: {}, engineLoad: [], lastRun: false });

export const useStatsStore = create<StatsState>(() => empty());

function sameFields(a: object | undefined, b: object): boolean {
  if (!a) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of kb) if ((a as Record<string, unknown>)[k] !== (b as Record<string, unknown>)[k]) return false;
  return true;
}

type Replication = NonNullable<NodeStats["replication"]>;

/** A kafka-mirror's per-topic figures arrive as a new object every tick: equal ones count as unchanged. */
export function sameReplication(a: Replication | undefined, b: Replication | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) {
    const x = a[k]!;
    const y = b[k];
    if (!y || x.target !== y.target || x.records !== y.records || x.lag !== y.lag || x.partitions !== y.partitions) return false;
  }
  return true;
}

/** Appends one sample, dropping the oldest beyond `cap`; a full flat series that stays flat is kept as is. */
export function appendSample(s: Series | undefined, v: number, cap = SPARK_SAMPLES): Series {
  const x = Number.isFinite(v) && v > 0 ? v : 0;
  if (!s || s.length === 0) return [x];
  if (s.length >= cap && s.every((y) => y === x)) return s;
  const start = s.length >= cap ? s.length - cap + 1 : 0;
  const next = s.slice(start);
  next.push(x);
  return next;
}

/** Builds the next state from a tick: keeps unchanged entries' objects (no re-render for them). */
export function nextState(prev: StatsState, flowId: string, s: LiveStats, now: number): StatsState {
  const sameFlow = prev.flowId === flowId;
  const prevNodes = sameFlow ? prev.nodes : {};
  const prevEdges = sameFlow ? prev.edges : {};
  const prevSeries = sameFlow ? prev.series : {};
  const dt = sameFlow && prev.receivedAt !== null ? Math.max(0.2, (now - prev.receivedAt) / 1000) : 1;
  const nodes: Record<string, NodeLive> = {};
  const series: Record<string, Series> = {};
  for (const [id, n] of Object.entries(s.nodes ?? {})) {
    const before = prevNodes[id];
    // the engine's rate1s is a node's in rate (a source's out rate); out: records out since the last tick
    const cand: NodeLive = { ...n };
    if (before) cand.rateOut = Math.round((Math.max(0, n.out - before.out) / dt) * 10) / 10;
    if (before?.replication && sameReplication(before.replication, cand.replication)) cand.replication = before.replication;
    if (before?.restoring && sameRestoring(before.restoring, cand.restoring)) cand.restoring = before.restoring;
    nodes[id] = sameFields(before, cand) ? before! : cand;
    series[id] = appendSample(prevSeries[id], n.rate1s);
  }
  const edges: Record<string, EdgeStats> = {};
  for (const [id, e] of Object.entries(s.edges ?? {})) {
    const before = prevEdges[id];
    edges[id] = sameFields(before, e) ? before! : e;
  }
  const load = s.engineLoad ?? [];
  const engineLoad = sameFlow && load.length === prev.engineLoad.length && load.every((e, i) => sameFields(prev.engineLoad[i], e)) ? prev.engineLoad : load;
  return { flowId, at: s.at, receivedAt: now, since: prev.since, stale: false, nodes, edges, series, engineLoad, lastRun: false };
}

export const statsActions = {
  push(flowId: string, s: LiveStats, now = Date.now()) {
    useStatsStore.setState(nextState(useStatsStore.getState(), flowId, s, now));
  },
  /** The subscription starts now (figures of another flow go). */
  start(now = Date.now()) {
    useStatsStore.setState({ ...empty(), since: now });
  },
  /** Marks the figures stale when no tick came for STALE_MS (call it about once a second). */
  checkFresh(now = Date.now()) {
    const { receivedAt, since, stale } = useStatsStore.getState();
    const last = receivedAt ?? since;
    const isStale = last !== null && now - last > STALE_MS;
    if (isStale !== stale) useStatsStore.setState({ stale: isStale });
  },
  clear() {
    useStatsStore.setState(empty());
  },
  /**
   * The flow stopped: its nodes keep the totals of the run, marked as the last run (NiFi keeps a
   * stopped processor's counts too); what only means something while running goes.
   */
  endRun() {
    useStatsStore.setState(endedRun(useStatsStore.getState()));
  },
  /**
   * A stopped flow opened (or the page reloaded): the totals its last deployment ended with, as
   * the engine still has them. A run that ended in this page keeps its own (they are the same).
   */
  showLastRun(flowId: string, s: LiveStats, now = Date.now()) {
    const next = lastRunOf(useStatsStore.getState(), flowId, s, now);
    if (next) useStatsStore.setState(next);
  },
  /** Another flow is shown: its figures are not this one's. */
  forFlow(flowId: string) {
    const s = useStatsStore.getState();
    if (s.flowId !== null && s.flowId !== flowId) useStatsStore.setState(empty());
  },
};

/**
 * The state once a run has ended: the nodes' figures kept as they last were (what is shown of
 * them is the components' call: totals, not rates); edges, series and engine load gone.
 */
export function endedRun(s: StatsState): StatsState {
  if (s.flowId === null || Object.keys(s.nodes).length === 0) return empty();
  return { ...empty(), flowId: s.flowId, at: s.at, receivedAt: s.receivedAt, nodes: s.nodes, lastRun: true };
}

/** The state showing `s` (a stopped deployment's stats) as the last run, or undefined when there is nothing to show or `prev` shows this flow already. */
export function lastRunOf(prev: StatsState, flowId: string, s: LiveStats, now: number): StatsState | undefined {
  if (s.status === "running" || s.status === "not-deployed" || Object.keys(s.nodes).length === 0) return undefined;
  if (prev.flowId === flowId && (prev.lastRun || Object.keys(prev.nodes).length > 0)) return undefined;
  return { ...empty(), flowId, at: s.at, receivedAt: now, nodes: { ...s.nodes }, lastRun: true };
}

/** Seconds since the last tick, for "stale: no figures for 12 s". */
export function staleFor(now = Date.now()): number {
  const { receivedAt, since } = useStatsStore.getState();
  const r = receivedAt ?? since;
  return r === null ? 0 : Math.round((now - r) / 1000);
}

/** The error is recent enough to mark the node as failing now. */
export function isRecentError(at: number | undefined, now = Date.now()): boolean {
  return at !== undefined && now - at < RECENT_ERROR_MS;
}

/** The node's sparkline samples; one node's component re-renders only when its own series changes. */
export const useSeries = (id: string) => useStatsStore((st) => st.series[id]);
export const useStale = () => useStatsStore((st) => st.stale);
export const useLastRun = () => useStatsStore((st) => st.lastRun);
export const useEngineLoad = () => useStatsStore((st) => st.engineLoad);
