/**
 * What a running flow shows on the canvas: per node records in/out, records/s in and out, a
 * sparkline of the last minute, failures (a red badge with the last error on hover/focus) and
 * back pressure (an amber chip); per edge records/s and the queue against its threshold.
 *
 * Every piece subscribes to its own node's or edge's entry in the live-stats store (never the
 * flow document), so a 1/s tick re-renders these small components only, and only those whose
 * figures changed. Figures with no tick for 3 s are greyed and say "stale".
 */
import { memo, useMemo } from "react";
import { isRecentError, useLastRun, useSeries, useStale, useStatsStore, type NodeLive } from "../store/statsStore";
import { ago, edgeFigures, fmt, fmtRate, SPARK_H, SPARK_W, sparkPoints } from "./figures";
import { replicationLine, replicationRows, summarizeReplication } from "./replication";
import { restoreProgress, type Restoring } from "../tables/restore";

export { ago, fmt, fmtRate };

/** records/s over the last minute, as a tiny inline SVG (no chart library). */
const Sparkline = memo(function Sparkline({ id }: { id: string }) {
  const s = useSeries(id);
  const points = useMemo(() => (s ? sparkPoints(s) : ""), [s]);
  if (!s) return null;
  const max = s.reduce((m, v) => Math.max(m, v), 0);
  return (
    <svg
      className="mr-spark"
      width={SPARK_W}
      height={SPARK_H}
      viewBox={`0 0 ${SPARK_W} ${SPARK_H}`}
      data-testid={`node-spark-${id}`}
      data-samples={s.length}
      data-last={s[s.length - 1]}
      role="img"
      aria-label={`records per second over the last ${s.length} s, up to ${fmtRate(max)}/s`}
    >
      <title>{`records/s over the last ${s.length} s (max ${fmtRate(max)}/s)`}</title>
      <line className="mr-spark-base" x1={0} y1={SPARK_H - 0.5} x2={SPARK_W} y2={SPARK_H - 0.5} />
      {s.length > 1 && <polyline className="mr-spark-line" points={points} fill="none" />}
      {s.length === 1 && <circle cx={SPARK_W - 1.5} cy={points.split(",")[1]} r={1.5} className="mr-spark-dot" />}
    </svg>
  );
});

/** A node's live figures (full detail only); a node that copies topics (kafka-mirror) shows its lag instead of in/out. */
export const NodeFigures = memo(function NodeFigures({ id, source, sink, replicates }: { id: string; source: boolean; sink: boolean; replicates: boolean }) {
  const s = useStatsStore((st) => st.nodes[id]);
  const stale = useStale();
  const lastRun = useLastRun();
  if (!s) return null;
  if (lastRun) return <LastRunFigures id={id} s={s} source={source} sink={sink} />;
  if (replicates) return <ReplicationFigures id={id} s={s} stale={stale} />;
  const outRate = source ? s.rate1s : s.rateOut;
  return (
    <div
      className={`mr-node-figures${stale ? " stale" : ""}`}
      data-testid={`node-stats-${id}`}
      data-in={source ? undefined : s.in}
      data-out={s.out}
      data-rate={s.rate1s}
      data-rate-out={outRate}
      data-errors={s.errors}
      data-stale={stale ? "true" : undefined}
    >
      <div className="mr-fig-row">
        {/* a source has no input: "in 0" would read as "nothing arrives" */}
        {!source && <span title="records in since the deployment">in {fmt(s.in)}</span>}
        {/* a sink has no output: "out 0" would read as "nothing leaves" */}
        {!sink && <span title="records out since the deployment">out {fmt(s.out)}</span>}
        {s.paused && (
          <span
            className="mr-chip paused"
            data-testid={`node-paused-${id}`}
            data-paused-for={s.pausedFor}
            title={
              s.pausedFor === "disk"
                ? "Paused for low disk space where the engine keeps its data; it resumes by itself once there is room"
                : "Paused by back pressure: a queue downstream is over its threshold; it resumes when the queue drains"
            }
          >
            ⏸ {s.pausedFor === "disk" ? "paused: disk low" : "paused"}
          </span>
        )}
        {stale && <StaleChip id={id} />}
      </div>
      {s.restoring && <RestoreRow id={id} r={s.restoring} />}
      <div className="mr-fig-row rates">
        {!source && (
          <em className="rate" data-testid={`node-rate-in-${id}`} title="records/s in (last second)">
            {stale ? "–" : fmtRate(s.rate1s)}/s in
          </em>
        )}
        {!sink && (
          <em className="rate" data-testid={`node-rate-out-${id}`} title="records/s out (last second)">
            {stale ? "–" : fmtRate(outRate)}/s out
          </em>
        )}
        <Sparkline id={id} />
      </div>
    </div>
  );
});

/** A stopped flow's node: the totals its last run ended with, marked so (nothing is live). */
function LastRunFigures({ id, s, source, sink }: { id: string; s: NodeLive; source: boolean; sink: boolean }) {
  return (
    <div className="mr-node-figures last-run" data-testid={`node-stats-${id}`} data-in={source ? undefined : s.in} data-out={s.out} data-errors={s.errors} data-last-run="true">
      <div className="mr-fig-row">
        {!source && <span title="records in during the last run">in {fmt(s.in)}</span>}
        {!sink && <span title="records out during the last run">out {fmt(s.out)}</span>}
        <span className="mr-chip last-run" data-testid={`node-last-run-${id}`} title="The flow is stopped: these are the totals of its last run">
          last run
        </span>
      </div>
    </div>
  );
}

/** A stateful node reading its changelog back before it processes: it holds its input until done. */
function RestoreRow({ id, r }: { id: string; r: Restoring }) {
  const p = restoreProgress(r);
  return (
    <div className="mr-fig-row restoring" data-testid={`node-restoring-${id}`} data-done={r.done} data-total={r.total} title={`${p.what} from the changelog: ${p.read} read; records wait until it is done`}>
      <span>{p.what}</span>
      <span className="mr-meter" role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={p.percent} aria-label="changelog read">
        <span style={{ width: `${p.percent}%` }} />
      </span>
      <span>{p.percent} %</span>
    </div>
  );
}

function StaleChip({ id }: { id: string }) {
  return (
    <span className="mr-chip stale" data-testid={`node-stale-${id}`} title="No figures from the engine for over 3 s (unreachable?): these are the last known totals, not live">
      stale
    </span>
  );
}

/** "lag 12 orders → copy.orders" (or "lag 1.2k 3 topics"), then the copy rate and its sparkline. */
function ReplicationFigures({ id, s, stale }: { id: string; s: NodeLive; stale: boolean }) {
  const { topics, records, lag } = summarizeReplication(s.replication);
  const line = replicationLine(s.replication);
  const rows = replicationRows(s.replication);
  return (
    <div
      className={`mr-node-figures${stale ? " stale" : ""}`}
      data-testid={`node-stats-${id}`}
      data-out={s.out}
      data-rate={s.rate1s}
      data-errors={s.errors}
      data-stale={stale ? "true" : undefined}
    >
      <div className="mr-fig-row">
        <span
          className={`mr-repl-lag${lag > 0 ? " behind" : ""}`}
          data-testid={`node-replication-${id}`}
          data-topics={topics}
          data-records={records}
          data-lag={lag}
          title={`${records} record${records === 1 ? "" : "s"} copied since the deployment; ${lag} not copied yet (records behind, over all topics)`}
        >
          {line.lag}
        </span>
        <span className="mr-repl-what" data-testid={`node-replication-topics-${id}`} title={rows.map((r) => `${r.source} → ${r.target}`).join("\n")}>
          {line.what}
        </span>
        {stale && <StaleChip id={id} />}
      </div>
      <div className="mr-fig-row rates">
        <em className="rate" data-testid={`node-rate-copied-${id}`} title="records/s copied (last second)">
          {stale ? "–" : fmtRate(s.rate1s)}/s copied
        </em>
        <Sparkline id={id} />
      </div>
    </div>
  );
}

/**
 * Failures on the node: a red badge with the count (bright while the last error is under
 * 5 minutes old, like NiFi's bulletins; muted after) whose tooltip, on hover AND keyboard focus,
 * gives the last error. Sits in the node's header next to the validation mark.
 */
export const NodeFailureBadge = memo(function NodeFailureBadge({ id }: { id: string }) {
  const s = useStatsStore((st) => st.nodes[id]);
  // a coarse clock (30 s) so "recent" turns off after 5 minutes even when nothing else changes
  useStatsStore((st) => (st.receivedAt === null ? 0 : Math.floor(st.receivedAt / 30_000)));
  const stale = useStale();
  const lastRun = useLastRun();
  if (!s) return null;
  const recent = isRecentError(s.lastErrorAt);
  if (!(s.errors > 0 || recent)) return null;
  const tipId = `node-failures-tip-${id}`;
  return (
    <span className="mr-node-error-wrap">
      <button
        type="button"
        className={`mr-node-fail nodrag${recent ? " recent" : ""}${stale ? " stale" : ""}`}
        data-testid={`node-failures-${id}`}
        data-errors={s.errors}
        data-recent={recent ? "true" : "false"}
        aria-label={`${s.errors} failed record${s.errors === 1 ? "" : "s"}`}
        aria-describedby={tipId}
      >
        <span aria-hidden>⚠</span> {fmt(s.errors)}
      </button>
      <span role="tooltip" id={tipId} className="mr-node-tip fail" data-testid={tipId}>
        <b>
          {s.errors} record{s.errors === 1 ? "" : "s"} failed {lastRun ? "in the last run" : "since the deployment"}
        </b>
        {s.lastError ? (
          <>
            <span className="mr-tip-sub">
              last error{s.lastErrorAt ? `, ${new Date(s.lastErrorAt).toLocaleTimeString()} (${ago(s.lastErrorAt)})` : ""}:
            </span>
            <span className="mr-tip-error" data-testid={`node-last-error-${id}`}>
              {s.lastError}
            </span>
          </>
        ) : null}
        {stale && <span className="mr-tip-sub">figures are stale: the engine has not reported for over 3 s</span>}
      </span>
    </span>
  );
});

/** An edge's records/s and, for a durable edge, its queue against the back-pressure threshold. */
export const EdgeFigures = memo(function EdgeFigures({ id, fused }: { id: string; fused: boolean }) {
  const s = useStatsStore((st) => st.edges[id]);
  const stale = useStale();
  if (!s) return null;
  const durable = (s.mode ?? (fused ? "fused" : "durable")) === "durable";
  const threshold = s.threshold ?? undefined;
  const level = s.backPressure ? "over" : threshold && s.queue >= threshold * 0.8 ? "near" : "";
  const figures = edgeFigures(stale ? "–" : fmtRate(s.rate1s), durable ? s.queue : undefined, threshold);
  return (
    <span
      className={`mr-edge-stats${s.backPressure ? " bp" : ""}${stale ? " stale" : ""}`}
      data-testid={`edge-stats-${id}`}
      data-rate={s.rate1s}
      data-queue={durable ? s.queue : undefined}
      data-threshold={threshold}
      data-back-pressure={s.backPressure ? "true" : undefined}
    >
      <span data-testid={`edge-figures-${id}`} title={figures.title}>
        {figures.rate}
        {durable && (
          <span className={`mr-q ${level}`} data-testid={`edge-queue-${id}`}>
            {figures.queue}
          </span>
        )}
      </span>
      {s.backPressure && (
        <b className="mr-bp" title="Queue over its threshold: the sources feeding it are paused">
          {" "}
          ⏸
        </b>
      )}
      {stale && <span className="mr-stale-word"> stale</span>}
    </span>
  );
});
