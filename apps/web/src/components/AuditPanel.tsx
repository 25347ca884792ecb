import { useState } from "react";
import { useInfiniteQuery } from "@tanstack/react-query";
import { errorMessage, trpc } from "../api/client";

/** The actions the engine records, for the filter's suggestions (any text is accepted). */
const ACTIONS = [
  "auth.login",
  "auth.logout",
  "flow.save",
  "flow.import",
  "flow.export",
  "flow.delete",
  "flow.deploy",
  "flow.stop",
  "flow.replay",
  "flow.replayRange",
  "tap.open",
  "tap.recent",
  "user.add",
  "user.setRole",
  "user.remove",
  "token.create",
  "token.revoke",
  "secrets.rotateKey",
];
const PAGE = 100;

interface Filters {
  user: string;
  action: string;
  flow: string;
  since: string;
}

const blank = (s: string) => s.trim() || undefined;
const when = (d: string | Date) => new Date(d).toLocaleString();
const detailText = (d: unknown) => (d && typeof d === "object" && Object.keys(d).length ? JSON.stringify(d) : "");

/** The audit log for admins: who did what, when, from where and how it ended, newest first. */
export function AuditPanel() {
  const [draft, setDraft] = useState<Filters>({ user: "", action: "", flow: "", since: "" });
  const [filters, setFilters] = useState<Filters>(draft);
  const events = useInfiniteQuery({
    queryKey: ["audit", filters],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      trpc.audit.list.query({
        user: blank(filters.user),
        action: blank(filters.action),
        flow: blank(filters.flow),
        since: filters.since ? new Date(filters.since).toISOString() : undefined,
        limit: PAGE,
        cursor: pageParam,
      }),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = events.data?.pages.flatMap((p) => p.rows) ?? [];
  const field = (k: keyof Filters) => ({ value: draft[k], onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value }) });
  return (
    <section data-testid="audit-panel">
      <form
        className="mr-form-row"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(draft);
        }}
      >
        <input className="mr-input" data-testid="audit-user" placeholder="User" aria-label="User" {...field("user")} />
        <input className="mr-input" data-testid="audit-action" placeholder="Action" aria-label="Action" list="mr-audit-actions" {...field("action")} />
        <datalist id="mr-audit-actions">
          {ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <input className="mr-input" data-testid="audit-flow" placeholder="Flow / target id" aria-label="Flow" {...field("flow")} />
        <input className="mr-input" data-testid="audit-since" type="datetime-local" aria-label="Since" {...field("since")} />
        <button type="submit" className="mr-btn primary small" data-testid="audit-apply">
          Filter
        </button>
        <button type="button" className="mr-btn small" data-testid="audit-refresh" onClick={() => void events.refetch()}>
          Refresh
        </button>
      </form>
      {events.error ? (
        <div className="mr-field-error block">{errorMessage(events.error)}</div>
      ) : (
        <table className="mr-table" data-testid="audit-table">
          <thead>
            <tr>
              <th>Time</th>
              <th>User</th>
              <th>Via</th>
              <th>From</th>
              <th>Action</th>
              <th>Target</th>
              <th>Outcome</th>
              <th>Detail</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-testid="audit-row" data-action={r.action} data-actor={r.actor ?? ""} data-outcome={r.outcome}>
                <td>{when(r.at)}</td>
                <td>{r.actor ?? "–"}</td>
                <td>{r.via ?? "–"}</td>
                <td>{r.remoteAddress ?? "–"}</td>
                <td>{r.action}</td>
                <td>{r.target ?? "–"}</td>
                <td className={r.outcome === "ok" ? undefined : "mr-field-error"}>{r.outcome === "ok" ? "ok" : `refused ${r.errorCode ?? ""}`}</td>
                <td className="mr-muted">
                  <code>{detailText(r.detail)}</code>
                </td>
              </tr>
            ))}
            {events.isSuccess && rows.length === 0 && (
              <tr>
                <td colSpan={8} className="mr-muted">
                  No events match.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
      {events.hasNextPage && (
        <button className="mr-btn small" data-testid="audit-more" disabled={events.isFetchingNextPage} onClick={() => void events.fetchNextPage()}>
          Older events
        </button>
      )}
    </section>
  );
}
