/**
 * The Table section's snapshots: "Snapshot now" (operators and above; the engine writes it to
 * Postgres) and the node's newest snapshots, listed again after each one and every 15 s.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { friendlyError, trpc } from "../api/client";
import { useRole } from "../auth/authStore";
import { roleReason } from "../auth/roles";
import { LISTED_SNAPSHOTS, offsetsText, outcomeLine, snapshotLine, snapshotPlace, type SnapshotOutcome, type SnapshotSummary } from "../tables/snapshots";

const LIST_REFRESH_MS = 15_000;

export function TableSnapshots({ flowId, nodeId }: { flowId: string; nodeId: string }) {
  const queryClient = useQueryClient();
  const reason = roleReason(useRole(), "tableSnapshot");
  const queryKey = ["table-snapshots", flowId, nodeId];
  const list = useQuery({
    queryKey,
    queryFn: async (): Promise<SnapshotSummary[]> => trpc.tables.snapshots.query({ flowId, nodeId, limit: LISTED_SNAPSHOTS }),
    refetchInterval: LIST_REFRESH_MS,
    retry: false,
  });
  const take = useMutation({
    mutationFn: async (): Promise<SnapshotOutcome> => trpc.tables.snapshot.mutate({ flowId, nodeId }),
    onSettled: () => queryClient.invalidateQueries({ queryKey }),
  });

  return (
    <div className="mr-tablesnaps" data-testid="table-snapshots">
      <div className="mr-tablesnaps-head">
        <h4>Snapshots</h4>
        <button
          className="mr-btn small"
          data-testid="table-snapshot-now"
          disabled={!!reason || take.isPending}
          title={reason || "Write the whole table to Postgres now: a new engine starts from the newest snapshot plus the changelog after it"}
          onClick={() => take.mutate()}
        >
          {take.isPending ? "Taking snapshot…" : "Snapshot now"}
        </button>
      </div>
      {take.data && (
        <div className="small mr-muted" data-testid="table-snapshot-outcome">
          {outcomeLine(take.data)}
        </div>
      )}
      {take.isError && (
        <div className="mr-field-error block" data-testid="table-snapshot-error">
          {friendlyError(take.error, "the snapshot")}
        </div>
      )}
      {list.isError && <div className="mr-field-error block">{friendlyError(list.error, "the snapshots")}</div>}
      {list.data && list.data.length === 0 && <div className="small mr-muted">No snapshots yet.</div>}
      {list.data && list.data.length > 0 && (
        <ul className="mr-tablesnaps-list small">
          {list.data.map((s) => (
            <li key={s.id} data-testid="table-snapshot" data-id={s.id} title={`offsets ${offsetsText(s.offsets)}${s.filePath ? ` · ${s.filePath}` : ""}`}>
              <span>{snapshotLine(s)}</span>
              <span className="mr-muted">{snapshotPlace(s)}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
