import { memo, useCallback, useEffect, useRef, useState } from "react";
import type { FlowEdge } from "@millrace/flow";
import { api, errorCode, friendlyError } from "../api/client";
import type { TapRecord } from "../api/types";
import { useFlowStore } from "../store/flowStore";
import { lineageActions } from "../store/lineageStore";
import { useStatsStore } from "../store/statsStore";
import { fmtTime } from "./LineagePanel";
import { prettyJson } from "../provenance/prettyJson";
import { useRole } from "../auth/authStore";
import { roleReason } from "../auth/roles";
import { InferSchema } from "./InferSchema";
import { saveTappedAsCase } from "./TestsPanel";

/** Records kept in the list (newest first); older ones fall off. */
export const TAP_MAX = 200;
/** Records read with tap.recent when the panel opens or the tap starts, so it is never empty when data exists. */
const RECENT = 20;
/** Live records are added at most this often (the engine sends up to 50/s). */
const FLUSH_MS = 150;
/** A value longer than this many lines is shown clamped until asked. */
const LONG_LINES = 14;

// a fused record has no topic position: its lineage id tells it apart (each crosses an edge once)
const keyOf = (r: TapRecord) => (r.via === "fused" ? `fused:${r.headers["mr.id"] ?? ""}` : `${r.topic ?? ""}:${r.partition ?? ""}:${r.offset ?? ""}`);
const newestFirst = (a: TapRecord, b: TapRecord) => (b.timestamp ?? 0) - (a.timestamp ?? 0) || Number(b.offset ?? 0) - Number(a.offset ?? 0);

/**
 * Merges records into a newest-first list bounded to `max`, skipping ones already shown
 * (same topic/partition/offset, or lineage id on a fused edge): the recent read and the live
 * tap overlap, and a tap may resend.
 */
export function mergeRecords(cur: TapRecord[], incoming: TapRecord[], max = TAP_MAX): TapRecord[] {
  if (!incoming.length) return cur;
  const seen = new Set(cur.map(keyOf));
  const fresh: TapRecord[] = [];
  for (const r of incoming) {
    const k = keyOf(r);
    if (seen.has(k)) continue;
    seen.add(k);
    fresh.push(r);
  }
  if (!fresh.length) return cur;
  return [...fresh, ...cur].sort(newestFirst).slice(0, max);
}

/**
 * Live records on an edge: a durable edge's topic (a consumer that commits nothing: looking never
 * disturbs the flow), or a fused edge sampled in process by the engine this page talks to.
 */
export function TapPanel({ edge, mode }: { edge: FlowEdge; mode: "durable" | "fused" }) {
  const flowId = useFlowStore((s) => s.doc.id);
  const saved = useFlowStore((s) => s.baseVersion !== undefined);
  const live = useStatsStore((s) => s.flowId === flowId);
  const tapReason = roleReason(useRole(), "tap");
  const editReason = roleReason(useRole(), "edit");
  const [on, setOn] = useState(false);
  const [paused, setPaused] = useState(false);
  const [records, setRecords] = useState<TapRecord[]>([]);
  const [pending, setPending] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const queue = useRef<TapRecord[]>([]);
  const held = useRef<TapRecord[]>([]);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  const loadRecent = useCallback(
    async (quiet: boolean) => {
      try {
        const recent = await api.tap.recent(flowId, edge.id, RECENT);
        setRecords((cur) => mergeRecords(cur, recent));
        setNote(null);
      } catch (e) {
        // a flow never deployed, or stopped and gone: say so quietly unless the user asked
        if (quiet && errorCode(e) === "PRECONDITION_FAILED") setNote(friendlyError(e, "the edge's records"));
        else if (!quiet || errorCode(e) !== "NOT_FOUND") setError(friendlyError(e, "the edge's records"));
      }
    },
    [flowId, edge.id],
  );

  // the latest records as soon as the edge is selected (a stopped flow's topic still has them;
  // a fused edge keeps none, so it waits for the tap)
  useEffect(() => {
    // reading an edge's records is a tap: a role without it would only collect refusals
    if (mode === "fused" || !saved || tapReason) return;
    void loadRecent(true);
  }, [mode, saved, live, loadRecent, tapReason]);

  useEffect(() => {
    if (!on) return;
    setError(null);
    void loadRecent(false);
    const sub = api.tap.edge(flowId, edge.id, {
      data: (r) => {
        queue.current.push(r);
        if (queue.current.length > TAP_MAX) queue.current.splice(0, queue.current.length - TAP_MAX);
      },
      error: (e) => {
        setError(friendlyError(e, "live data"));
        setOn(false);
      },
      complete: () => setOn(false),
    });
    const timer = setInterval(() => {
      if (!queue.current.length) return;
      const batch = queue.current;
      queue.current = [];
      if (pausedRef.current) {
        held.current = [...held.current, ...batch].slice(-TAP_MAX);
        setPending(held.current.length);
      } else setRecords((cur) => mergeRecords(cur, batch));
    }, FLUSH_MS);
    return () => {
      sub.unsubscribe();
      clearInterval(timer);
      queue.current = [];
    };
  }, [on, flowId, edge.id, loadRecent]);

  const resume = () => {
    setPaused(false);
    const h = held.current;
    held.current = [];
    setPending(0);
    setRecords((cur) => mergeRecords(cur, h));
  };
  const clear = () => {
    held.current = [];
    setPending(0);
    setRecords([]);
  };

  const disabledReason = tapReason || (!live ? "Deploy the flow to see live data" : "");
  return (
    <div className="mr-tap" data-testid="tap-panel">
      <div className="mr-section-head">
        <h3>
          Live data {on && !paused && <span className="mr-live-dot" title="streaming" data-testid="tap-live" />}
        </h3>
        <span className="mr-tap-actions">
          {on && (
            <button className="mr-btn small" data-testid="tap-pause" onClick={() => (paused ? resume() : setPaused(true))} title={paused ? "Show the records that arrived meanwhile" : "Hold the list still (records keep arriving in the background)"}>
              {paused ? "Resume" : "Pause"}
            </button>
          )}
          <button className="mr-btn small ghost" data-testid="tap-clear" disabled={!records.length && !pending} onClick={clear} title="Empty the list">
            Clear
          </button>
          <span title={disabledReason}>
            <button
              className={`mr-btn small${on ? " danger" : " primary"}`}
              data-testid="tap-toggle"
              disabled={!on && !!disabledReason}
              onClick={() => {
                setPaused(false);
                held.current = [];
                setPending(0);
                setOn(!on);
              }}
            >
              {on ? "Stop tap" : "Tap edge"}
            </button>
          </span>
        </span>
      </div>
      {disabledReason && !on && <p className="mr-muted small">{disabledReason}{mode !== "fused" && records.length ? "; below: the last records on its topic" : ""}.</p>}
      {mode === "fused" && (
        <p className="mr-muted small" data-testid="tap-fused-note">
          Fused edge: no topic, so records are sampled in process by the engine this page is connected to. With several engines you see only its share; nothing is kept, so the list starts when you tap.
        </p>
      )}
      {error && (
        <div className="mr-field-error block" data-testid="tap-error">
          {error}
        </div>
      )}
      {note && !records.length && !disabledReason && <p className="mr-muted small">{note}</p>}
      <div className="mr-tap-status mr-muted" data-testid="tap-count">
        {records.length ? `${records.length} record${records.length === 1 ? "" : "s"}, newest first${records.length >= TAP_MAX ? ` (last ${TAP_MAX} kept)` : ""}` : on ? "Waiting for records…" : ""}
        {paused && <strong className="mr-tap-paused"> · paused{pending ? `, ${pending} new` : ""}</strong>}
      </div>
      {records.length > 0 && (
        <button className="mr-btn small ghost" data-testid="tap-save-case" disabled={!!editReason} title={editReason || "A test case with these records: the inputs of a source, else what this port is expected to send"} onClick={() => saveTappedAsCase(edge.from, records)}>
          Save as test case
        </button>
      )}
      <InferSchema edge={edge} records={records} />
      {records.length > 0 && (
        <div className="mr-tap-records" data-testid="tap-records">
          {records.map((r) => (
            <TapRecordView key={keyOf(r)} r={r} />
          ))}
        </div>
      )}
    </div>
  );
}

const TapRecordView = memo(function TapRecordView({ r }: { r: TapRecord }) {
  const text = prettyJson(r.value ?? null, 38);
  const lines = text.split("\n").length;
  const [open, setOpen] = useState(true);
  const [all, setAll] = useState(lines <= LONG_LINES);
  const headers = r.headers ?? {};
  const nHeaders = Object.keys(headers).length;
  const id = headers["mr.id"];
  return (
    <div className="mr-tap-record" data-testid="tap-record">
      <div className="mr-tap-meta small" data-testid="tap-record-meta" title={`${r.via === "fused" ? "fused edge, sampled in process (no topic, no offset)" : `topic ${r.topic ?? "?"}${r.partition !== null ? `, partition ${r.partition}` : ""}${r.offset !== null ? `, offset ${r.offset}` : ""}`}${r.key ? `\nkey ${r.key}` : ""}`}>
        <span className="mr-tap-pos">
          {r.via === "fused" ? "fused (in process)" : `${r.partition !== null ? `p${r.partition}` : ""}${r.offset !== null ? ` @${r.offset}` : ""}`}
        </span>
        {r.key ? (
          <span className="mr-tap-key">
            key <span data-testid="tap-record-key">{r.key}</span>
          </span>
        ) : null}
        {r.timestamp ? <span className="mr-tap-time">{fmtTime(r.timestamp)}</span> : null}
      </div>
      <div className="mr-tap-bar">
        <button className="mr-tap-fold" data-testid="tap-record-fold" aria-expanded={open} onClick={() => setOpen(!open)} title={open ? "Fold the value" : "Show the value"}>
          {open ? "▾" : "▸"} value{!open && <span className="mr-muted"> {oneLine(text)}</span>}
        </button>
        {id && (
          <button className="mr-btn small ghost" data-testid="tap-record-lineage" title={`Where record ${id} came from and went (provenance)`} onClick={() => lineageActions.open(id)}>
            Lineage
          </button>
        )}
      </div>
      {open && (
        <>
          <pre className={`mr-code mr-tap-value${all ? "" : " clamped"}`} data-testid="tap-record-value">
            {text}
          </pre>
          {!all && (
            <button className="mr-link small" onClick={() => setAll(true)}>
              show all {lines} lines
            </button>
          )}
          {r.truncated && <span className="mr-warn-inline">value larger than 64 KiB: cut</span>}
        </>
      )}
      {nHeaders > 0 && (
        <details data-testid="tap-record-headers">
          <summary className="small">headers ({nHeaders})</summary>
          <pre className="mr-code">{JSON.stringify(headers, null, 2)}</pre>
        </details>
      )}
    </div>
  );
});

function oneLine(text: string): string {
  const s = text.replace(/\s*\n\s*/g, " ");
  return s.length > 48 ? `${s.slice(0, 47)}…` : s;
}
