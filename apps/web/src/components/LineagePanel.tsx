import { Fragment, useEffect, useMemo, useRef, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { api, friendlyError, isUnreachable } from "../api/client";
import type { LineageGraph, ProvenanceEvent } from "../api/types";
import { getSpec } from "../catalog/specs";
import { EVENT_HELP, flowOfRecord, layoutLineage } from "../provenance/layout";
import { flowActions, useFlowStore } from "../store/flowStore";
import { documentNodeId } from "../doc/plannedNodes";
import { lineageActions, useLineageStore } from "../store/lineageStore";
import { ui } from "../store/uiStore";
import { useRole } from "../auth/authStore";
import { roleReason } from "../auth/roles";

/** Provenance is written in batches (every ~200 ms): a fresh record's path fills in over a few seconds. */
const POLL_MS = 2000;
const POLL_WINDOW_MS = 20_000;

export function fmtTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** A record's lineage across nodes: a drawer under the canvas, its nodes highlighted above. */
export function LineagePanel() {
  const recordId = useLineageStore((s) => s.recordId);
  if (!recordId) return null;
  return <LineageDrawer recordId={recordId} />;
}

function LineageDrawer({ recordId }: { recordId: string }) {
  const openSeq = useLineageStore((s) => s.openSeq);
  const lastReplay = useLineageStore((s) => s.lastReplay);
  const flowId = useFlowStore((s) => s.doc.id);
  const openedAt = useRef(Date.now());
  useEffect(() => {
    openedAt.current = Date.now();
  }, [openSeq]);

  const q = useQuery({
    queryKey: ["provenance", "lineage", recordId, openSeq],
    queryFn: () => api.provenance.lineage(recordId, 500),
    refetchInterval: (query) => (query.state.error && !isUnreachable(query.state.error) ? false : Date.now() - openedAt.current < POLL_WINDOW_MS ? POLL_MS : false),
    retry: false,
    placeholderData: (prev) => prev,
  });
  const graph = q.data && q.data.recordId === recordId ? q.data : undefined;

  const docNodes = useFlowStore((s) => s.doc.nodes);
  useEffect(() => {
    const ids = new Set(docNodes.map((n) => n.id));
    lineageActions.highlight(graph ?? null, flowId, (id) => documentNodeId(id, (x) => ids.has(x)));
  }, [graph, flowId, docNodes]);

  const [replaying, setReplaying] = useState(false);
  const replayReason = roleReason(useRole(), "lineage");
  const replayFlow = graph ? flowOfRecord(graph) : undefined;
  const replay = async () => {
    if (!replayFlow) return;
    setReplaying(true);
    try {
      const r = await api.provenance.replay(replayFlow, recordId);
      lineageActions.replayed(r);
      // the copy's REPLAY event and what the next steps make of it arrive over the next seconds
      openedAt.current = Date.now();
      void q.refetch();
      const who = r.nodes.length ? `; ${r.nodes.join(", ")} will process it again` : "";
      ui.toast(`Replayed ${recordId} as ${r.recordId} (${r.topic} p${r.partition} @${r.offset})${who}.`, "success", 7000);
    } catch (e) {
      ui.toast(`Replay failed: ${friendlyError(e, "replay")}`, "error", 9000);
    } finally {
      setReplaying(false);
    }
  };

  const polling = q.isFetching || Date.now() - openedAt.current < POLL_WINDOW_MS;
  return (
    <section className="mr-lineage" data-testid="lineage-panel" aria-label="Record lineage">
      <div className="mr-lineage-head">
        <h2>Lineage</h2>
        <code className="mr-lineage-id" data-testid="lineage-record-id" title="the record's lineage id (header mr.id)">
          {recordId}
        </code>
        <button className="mr-icon" title="Copy the id" onClick={() => void navigator.clipboard?.writeText(recordId).catch(() => undefined)}>
          copy
        </button>
        {graph && graph.nodes.length > 0 && (
          <span className="mr-muted small" data-testid="lineage-summary">
            {graph.nodes.length} event{graph.nodes.length === 1 ? "" : "s"} at {new Set(graph.nodes.map((e) => `${e.flowId}/${e.nodeId}`)).size} node(s)
            {graph.truncated ? " (cut at 500)" : ""}
          </span>
        )}
        <span className="mr-lineage-actions">
          {lastReplay && (
            <button className="mr-btn small ghost" data-testid="lineage-open-copy" title={`Show the lineage of the copy, record ${lastReplay.recordId}`} onClick={() => lineageActions.open(lastReplay.recordId)}>
              Replayed copy →
            </button>
          )}
          <button className="mr-btn small" data-testid="lineage-refresh" disabled={q.isFetching} onClick={() => void q.refetch()} title="Read the provenance again">
            {q.isFetching ? "Reading…" : "Refresh"}
          </button>
          <span title={replayReason || (replayFlow ? "Send a copy of this record (new id, its parent is this one) into the edge it was read from, so the next steps process it again" : "Nothing to replay: no provenance for this record")}>
            <button className="mr-btn small primary" data-testid="lineage-replay" disabled={!replayFlow || replaying || !!replayReason} onClick={() => void replay()}>
              {replaying ? "Replaying…" : "↻ Replay"}
            </button>
          </span>
          <button className="mr-icon" data-testid="lineage-close" aria-label="Close lineage" title="Close (Esc)" onClick={lineageActions.close}>
            ✕
          </button>
        </span>
      </div>
      <div className="mr-lineage-body">
        {q.error ? (
          <div className="mr-field-error block" data-testid="lineage-error">
            {friendlyError(q.error, "provenance")}
          </div>
        ) : !graph ? (
          <p className="mr-muted">Reading provenance…</p>
        ) : graph.nodes.length === 0 ? (
          <p className="mr-muted" data-testid="lineage-empty">
            {polling
              ? "No provenance for this record yet: it is written every second or so, so a record seen a moment ago shows up shortly…"
              : `No provenance for this record. ${keptSinceText(graph.keptSince)} Check the id (the mr.id header of a record in a tap); provenance is not written when the engine runs with MILLRACE_PROVENANCE=off.`}
          </p>
        ) : (
          <LineageSteps graph={graph} flowId={flowId} />
        )}
      </div>
    </section>
  );
}

const TYPE_CLASS: Record<string, string> = {
  CREATE: "create",
  RECEIVE: "create",
  ROUTE: "route",
  MODIFY: "modify",
  FORK: "modify",
  DROP: "drop",
  SEND: "send",
  FAILURE: "failure",
  REPLAY: "replay",
};

function LineageSteps({ graph, flowId }: { graph: LineageGraph; flowId: string }) {
  const layout = useMemo(() => layoutLineage(graph), [graph]);
  return (
    <div className="mr-lineage-steps" data-testid="lineage-steps">
      {layout.steps.map((step, i) => (
        <Fragment key={i}>
          {i > 0 && <div className="mr-lineage-arrow" aria-hidden>→</div>}
          <div className="mr-lineage-step">
            {step.map((e) => (
              <LineageEvent key={e.id} e={e} t0={layout.t0} root={graph.recordId} here={e.flowId === flowId} />
            ))}
          </div>
        </Fragment>
      ))}
    </div>
  );
}

function LineageEvent({ e, t0, root, here }: { e: ProvenanceEvent; t0: number; root: string; here: boolean }) {
  // a step the planner added (not in the document) shows as the node it feeds
  const nodeId = useFlowStore((s) => (here ? documentNodeId(e.nodeId, (id) => s.doc.nodes.some((n) => n.id === id)) : e.nodeId));
  const node = useFlowStore((s) => (here ? s.doc.nodes.find((n) => n.id === nodeId) : undefined));
  const spec = getSpec(e.nodeType ?? node?.type ?? "");
  const title = node?.name || spec?.title || e.nodeType || e.nodeId;
  const where =
    e.topic !== null ? `${e.partition !== null ? `p${e.partition}` : ""}${e.offset !== null ? ` @${e.offset}` : ""}` : e.type === "SEND" || e.type === "DROP" ? "" : "not in Kafka (fused)";
  return (
    <div
      className={`mr-lineage-event type-${TYPE_CLASS[e.type] ?? "modify"}${e.recordId === root ? " root" : ""}${here ? "" : " elsewhere"}`}
      data-testid="lineage-event"
      data-node-id={e.nodeId}
      data-event-type={e.type}
      onMouseEnter={() => here && lineageActions.hover(nodeId)}
      onMouseLeave={() => lineageActions.hover(null)}
    >
      <div className="mr-lineage-event-head">
        <span className={`mr-kind-dot kind-${spec?.kind ?? "unknown"}`} />
        <button
          className="mr-lineage-node"
          title={here ? "Select this node on the canvas" : `in flow ${e.flowId}`}
          onClick={() => here && node && flowActions.select({ nodes: [nodeId], edges: [] })}
        >
          {title}
        </button>
        <span className={`mr-ev-type type-${TYPE_CLASS[e.type] ?? "modify"}`} title={EVENT_HELP[e.type] ?? e.type}>
          {e.type}
        </span>
      </div>
      <div className="mr-lineage-meta">
        <code>{e.nodeId}</code>
        {!here && <span> · flow <code>{e.flowId}</code></span>}
        {e.port && e.port !== "success" && <span> · port {e.port}</span>}
      </div>
      <div className="mr-lineage-meta" title={new Date(e.at).toISOString()}>
        {fmtTime(e.at)} {e.at > t0 && <span className="mr-muted">+{Math.round(e.at - t0)} ms</span>}
      </div>
      {where && (
        <div className="mr-lineage-meta" title={e.topic ?? undefined}>
          {where} {e.topic ? <span className="mr-lineage-topic">{e.topic}</span> : null}
        </div>
      )}
      <div className="mr-lineage-meta">
        record{" "}
        {e.recordId === root ? (
          <code title="the record you asked for">{e.recordId}</code>
        ) : (
          <button className="mr-link" title="Show this record's lineage" onClick={() => lineageActions.open(e.recordId)}>
            {e.recordId}
          </button>
        )}
      </div>
    </div>
  );
}

/** How far back lineage goes: older partitions are dropped to stay within the engine's size and time bounds. */
function keptSinceText(keptSince: number | null | undefined): string {
  if (keptSince === undefined) return "";
  if (keptSince === null) return "No lineage is kept at the moment.";
  return `Lineage is kept from ${new Date(keptSince).toLocaleString()} on (MILLRACE_PROVENANCE_MAX_MB and MILLRACE_PROVENANCE_RETENTION_HOURS bound it); an older record's lineage has been dropped.`;
}
