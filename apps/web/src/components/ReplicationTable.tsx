/**
 * The node panel's live figures of a kafka-mirror: per source topic, its copy on the target
 * cluster, the records copied since the deployment and how many are not copied yet.
 */
import { useStale, useStatsStore } from "../store/statsStore";
import { fmt } from "./figures";
import { replicationRows, summarizeReplication } from "./replication";

export function ReplicationTable({ id }: { id: string }) {
  const replication = useStatsStore((st) => st.nodes[id]?.replication);
  const deployed = useStatsStore((st) => st.nodes[id] !== undefined);
  const stale = useStale();
  if (!deployed) return null;
  const rows = replicationRows(replication);
  const total = summarizeReplication(replication);
  return (
    <div className={`mr-repl${stale ? " stale" : ""}`} data-testid="replication-panel">
      <h3>Replication</h3>
      {rows.length === 0 ? (
        <p className="mr-muted" data-testid="replication-none">
          No topic copied yet: none of the source cluster's topics matches, or the mirror is still starting.
        </p>
      ) : (
        <table className="mr-table mr-repl-table" data-testid="replication-table">
          <thead>
            <tr>
              <th>Topic → copy</th>
              <th className="num" title="records copied since the deployment">Copied</th>
              <th className="num" title="records in the source topic not copied yet">Lag</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.source} data-testid={`replication-row-${r.source}`} data-records={r.records} data-lag={r.lag} className={r.lag > 0 ? "behind" : undefined}>
                <td className="mono">
                  <div data-testid="replication-source">{r.source}</div>
                  <div className="mr-repl-target" data-testid="replication-target">→ {r.target}</div>
                </td>
                <td className="num" title={`${r.records} records copied`}>{fmt(r.records)}</td>
                <td className="num" title={`${r.lag} records behind, over ${r.partitions} partition${r.partitions === 1 ? "" : "s"}`}>{fmt(r.lag)}</td>
              </tr>
            ))}
          </tbody>
          {rows.length > 1 && (
            <tfoot>
              <tr data-testid="replication-total">
                <td>{total.topics} topics</td>
                <td className="num">{fmt(total.records)}</td>
                <td className="num">{fmt(total.lag)}</td>
              </tr>
            </tfoot>
          )}
        </table>
      )}
    </div>
  );
}
