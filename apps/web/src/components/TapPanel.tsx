import { useEffect, useState } from "react";
import type { FlowEdge } from "@millrace/flow";
import { api, errorMessage, isMissingProcedure } from "../api/client";
import type { TapRecord } from "../api/types";
import { useFlowStore } from "../store/flowStore";
import { useStatsStore } from "../store/statsStore";

const MAX = 50;

/** Live records on a durable edge (a group-less consumer: looking never disturbs the flow). */
export function TapPanel({ edge, mode }: { edge: FlowEdge; mode: string }) {
  const flowId = useFlowStore((s) => s.doc.id);
  const live = useStatsStore((s) => s.flowId === flowId);
  const [on, setOn] = useState(false);
  const [records, setRecords] = useState<TapRecord[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!on) return;
    setError(null);
    const sub = api.tap.edge(flowId, edge.id, {
      data: (r) => setRecords((cur) => [r, ...cur].slice(0, MAX)),
      error: (e) => {
        setError(isMissingProcedure(e) ? "This engine does not offer live taps yet." : errorMessage(e));
        setOn(false);
      },
    });
    return () => sub.unsubscribe();
  }, [on, flowId, edge.id]);

  const disabledReason = mode === "fused" ? "Fused edges have no topic to tap" : !live ? "Deploy the flow to see live data" : "";
  return (
    <div className="mr-tap" data-testid="tap-panel">
      <div className="mr-section-head">
        <h3>Live data</h3>
        <span title={disabledReason}>
          <button className={`mr-btn small${on ? " danger" : ""}`} data-testid="tap-toggle" disabled={!on && !!disabledReason} onClick={() => setOn(!on)}>
            {on ? "Stop tap" : "Tap edge"}
          </button>
        </span>
      </div>
      {disabledReason && !on && <p className="mr-muted small">{disabledReason}.</p>}
      {error && <div className="mr-field-error">{error}</div>}
      {records.length > 0 && (
        <div className="mr-tap-records" data-testid="tap-records">
          {records.map((r, i) => (
            <div className="mr-tap-record" key={`${r.partition}-${r.offset}-${i}`} data-testid="tap-record">
              <div className="mr-muted small">
                {r.partition !== undefined ? `p${r.partition}` : ""} {r.offset !== undefined ? `@${r.offset}` : ""} {r.key ? `key ${r.key}` : ""}
              </div>
              <pre className="mr-code">{JSON.stringify(r.value, null, 2)}</pre>
              {Object.keys(r.headers ?? {}).length > 0 && (
                <details>
                  <summary className="small">headers</summary>
                  <pre className="mr-code">{JSON.stringify(r.headers, null, 2)}</pre>
                </details>
              )}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
