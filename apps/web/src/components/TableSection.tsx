/**
 * The node panel's view of a stateful node's table while its flow runs: rows in key order, a
 * prefix search or an exact key lookup, refreshed every 2 s so values change as records arrive.
 * Polling lives as long as the panel shows this node and the flow runs (react-query stops it on
 * unmount, when disabled, and while the browser tab is hidden).
 */
import { useEffect, useMemo, useRef, useState } from "react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, friendlyError } from "../api/client";
import { useDeployment } from "../deploy";
import { useFlowStore } from "../store/flowStore";
import { TableSnapshots } from "./TableSnapshots";
import { changedKeys, formatValue, moreLimit, PAGE_ROWS, rowsLine, rowsOfLookup, tableRequest, type SearchMode, type TableRow, type TableSearch, type ValueLayout } from "../tables/tableView";

const REFRESH_MS = 2000;
/** typing settles for this long before the search is sent */
const SEARCH_DELAY_MS = 250;

interface TableAnswer {
  rows: TableRow[];
  truncated: boolean;
  /** a lookup's partition and where the engine read it */
  lookup?: { partition: number; from: "store" | "changelog" };
}

export function TableSection({ nodeId }: { nodeId: string }) {
  const flowId = useFlowStore((s) => s.doc.id);
  const saved = useFlowStore((s) => s.baseVersion !== undefined);
  const { running } = useDeployment(flowId, saved);
  if (!running) return null;
  return <LiveTable flowId={flowId} nodeId={nodeId} />;
}

function LiveTable({ flowId, nodeId }: { flowId: string; nodeId: string }) {
  const [typed, setTyped] = useState("");
  const [mode, setMode] = useState<SearchMode>("prefix");
  const [text, setText] = useState("");
  const [limit, setLimit] = useState(PAGE_ROWS);
  const [layout, setLayout] = useState<ValueLayout>("compact");

  useEffect(() => {
    if (typed === text) return;
    const t = setTimeout(() => setText(typed), SEARCH_DELAY_MS);
    return () => clearTimeout(t);
  }, [typed, text]);
  // a new search starts again from the first page
  useEffect(() => setLimit(PAGE_ROWS), [text, mode]);

  const search: TableSearch = useMemo(() => ({ text, mode }), [text, mode]);
  const request = useMemo(() => tableRequest(search, limit), [search, limit]);
  const q = useQuery({
    queryKey: ["tables", flowId, nodeId, request],
    queryFn: async (): Promise<TableAnswer> => {
      if (request.kind === "get") {
        const answer = await api.tables.get(flowId, nodeId, request.key);
        return { rows: rowsOfLookup(answer), truncated: false, lookup: { partition: answer.partition, from: answer.from } };
      }
      return api.tables.scan(flowId, nodeId, request.prefix, request.limit);
    },
    refetchInterval: REFRESH_MS,
    placeholderData: keepPreviousData,
    retry: false,
  });

  const answer = q.data;
  const changed = useChangedRows(q.isPlaceholderData ? undefined : answer?.rows, JSON.stringify(request), q.dataUpdatedAt);
  const next = moreLimit(limit);

  return (
    <div className="mr-tableview" data-testid="table-view">
      <h3>Table</h3>
      <div className="mr-tableview-search">
        <div className="mr-seg" role="radiogroup" aria-label="Search by">
          {(["prefix", "key"] as const).map((m) => (
            <button key={m} role="radio" aria-checked={mode === m} className={mode === m ? "on" : ""} data-testid={`table-search-${m}`} onClick={() => setMode(m)}>
              {m === "prefix" ? "prefix" : "exact key"}
            </button>
          ))}
        </div>
        <input
          className="mr-input mono"
          type="search"
          aria-label={mode === "prefix" ? "Keys starting with" : "Exact key"}
          placeholder={mode === "prefix" ? "keys starting with…" : "exact key"}
          data-testid="table-search"
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          onKeyDown={(e) => e.key === "Enter" && setText(typed)}
        />
      </div>
      <div className="mr-tableview-bar small">
        <span className="mr-muted" data-testid="table-rows-line" data-truncated={answer?.truncated ? "true" : undefined}>
          {answer ? rowsLine(answer.rows.length, answer.truncated, search) : "reading…"}
          {answer?.lookup && ` · partition ${answer.lookup.partition}, read from ${answer.lookup.from === "store" ? "this engine's store" : "its changelog"}`}
        </span>
        <div className="mr-seg" role="radiogroup" aria-label="Values">
          {(["compact", "pretty"] as const).map((l) => (
            <button key={l} role="radio" aria-checked={layout === l} className={layout === l ? "on" : ""} data-testid={`table-layout-${l}`} onClick={() => setLayout(l)}>
              {l}
            </button>
          ))}
        </div>
      </div>
      {q.isError && (
        <div className="mr-field-error block" data-testid="table-error">
          {friendlyError(q.error, "the table")}
        </div>
      )}
      {answer && answer.rows.length > 0 && (
        <table className="mr-table mr-tableview-table" data-testid="table-rows">
          <thead>
            <tr>
              <th>Key</th>
              <th>Value</th>
            </tr>
          </thead>
          <tbody>
            {answer.rows.map((r) => (
              <tr key={r.key} data-testid="table-row" data-key={r.key} className={changed.has(r.key) ? "changed" : undefined}>
                <td className="mono mr-tableview-key">{r.key}</td>
                <td className="mono" data-testid="table-value">
                  {layout === "pretty" ? <pre className="mr-code">{formatValue(r.value, "pretty")}</pre> : <span title={formatValue(r.value, "pretty")}>{formatValue(r.value, "compact")}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {answer?.truncated && next !== null && (
        <button className="mr-btn small" data-testid="table-more" onClick={() => setLimit(next)}>
          Show more
        </button>
      )}
      <TableSnapshots flowId={flowId} nodeId={nodeId} />
    </div>
  );
}

/**
 * Keys whose value changed in the latest refresh of the same search: a new search, and answers
 * kept on screen while it loads, mark nothing.
 */
function useChangedRows(rows: TableRow[] | undefined, searchKey: string, updatedAt: number): ReadonlySet<string> {
  const last = useRef<{ searchKey: string; updatedAt: number; rows: TableRow[]; changed: Set<string> } | null>(null);
  if (!rows) return NONE;
  const prev = last.current;
  if (prev && prev.updatedAt === updatedAt && prev.searchKey === searchKey) return prev.changed;
  const changed = changedKeys(prev?.searchKey === searchKey ? prev.rows : undefined, rows);
  last.current = { searchKey, updatedAt, rows, changed };
  return changed;
}

const NONE: ReadonlySet<string> = new Set();
