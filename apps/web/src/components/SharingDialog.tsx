import { useEffect, useState } from "react";
import { create } from "zustand";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { errorMessage, trpc } from "../api/client";
import { flowsKey } from "../session";
import { ui } from "../store/uiStore";

/** Which flow's sharing is being looked at (null: the dialog is closed). */
export const useSharingDialog = create<{ flow: { id: string; name: string } | null }>(() => ({ flow: null }));
export const openSharingDialog = (id: string, name: string) => useSharingDialog.setState({ flow: { id, name } });
const close = () => useSharingDialog.setState({ flow: null });

const accessKey = (flowId: string) => ["flows", "access", flowId];

/** "a, b c" → ["a", "b", "c"]: names are typed as a list separated by commas or spaces. */
const namesOf = (text: string) => text.split(/[\s,]+/).filter(Boolean);

/**
 * Who may see a flow: restricted, it is seen only by its owner, the admins and the listed users
 * and groups (everyone else does not find it at all). Only its owner or an admin may change that;
 * others who see the flow see the list read-only.
 */
export function SharingDialog() {
  const flow = useSharingDialog((s) => s.flow);
  if (!flow) return null;
  return <SharingForm key={flow.id} flowId={flow.id} name={flow.name} />;
}

function SharingForm({ flowId, name }: { flowId: string; name: string }) {
  const qc = useQueryClient();
  const access = useQuery({ queryKey: accessKey(flowId), queryFn: () => trpc.flows.access.get.query({ flowId }) });
  const [restricted, setRestricted] = useState(false);
  const [users, setUsers] = useState("");
  const [groups, setGroups] = useState("");
  useEffect(() => {
    if (!access.data) return;
    setRestricted(access.data.restricted);
    setUsers(access.data.users.join(", "));
    setGroups(access.data.groups.join(", "));
  }, [access.data]);
  const save = useMutation({
    mutationFn: () => trpc.flows.access.set.mutate({ flowId, restricted, users: namesOf(users), groups: namesOf(groups) }),
    onSuccess: () => {
      ui.toast(restricted ? `"${name}" is now seen only by its owner, admins and those listed` : `"${name}" is visible to everyone again`, "success");
      void qc.invalidateQueries({ queryKey: accessKey(flowId) });
      void qc.invalidateQueries({ queryKey: flowsKey });
      close();
    },
    onError: (e) => ui.toast(errorMessage(e), "error"),
  });
  const canChange = access.data?.canChange ?? false;
  const owner = access.data?.owner;
  const readOnlyReason = access.data && !canChange ? (owner ? `Only its owner (${owner}) or an admin can change this` : "Only an admin can change this (the flow has no owner)") : "";

  return (
    <div className="mr-modal-back" onClick={close}>
      <div className="mr-modal" role="dialog" aria-label="Sharing" data-testid="sharing-dialog" onClick={(e) => e.stopPropagation()}>
        <div className="mr-modal-head">
          <h2>Sharing “{name}”</h2>
          <button className="mr-icon" data-testid="sharing-close" onClick={close} aria-label="Close">
            ✕
          </button>
        </div>
        {access.error ? (
          <div className="mr-field-error block">{errorMessage(access.error)}</div>
        ) : !access.data ? (
          <p className="mr-muted">Loading…</p>
        ) : (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              save.mutate();
            }}
            style={{ display: "flex", flexDirection: "column", gap: 12 }}
          >
            <p className="mr-muted small" data-testid="sharing-owner">
              Owner: {owner ?? "none (created before flows had owners)"}
            </p>
            <label className="mr-check">
              <input type="checkbox" data-testid="sharing-restricted" checked={restricted} disabled={!canChange} onChange={(e) => setRestricted(e.target.checked)} />
              Restricted: only the owner, admins and the users and groups below see this flow
            </label>
            <label className="mr-field">
              <span className="mr-label">Users</span>
              <input className="mr-input" data-testid="sharing-users" placeholder="e.g. alice, bob" value={users} disabled={!canChange || !restricted} onChange={(e) => setUsers(e.target.value)} />
            </label>
            <label className="mr-field">
              <span className="mr-label">Groups</span>
              <input className="mr-input" data-testid="sharing-groups" placeholder="e.g. data-team" value={groups} disabled={!canChange || !restricted} onChange={(e) => setGroups(e.target.value)} />
            </label>
            <p className="mr-muted small">Roles still apply: a listed viewer can only look at the flow.</p>
            <div className="mr-modal-foot">
              <button type="button" className="mr-btn ghost" onClick={close}>
                Cancel
              </button>
              <span title={readOnlyReason} className="mr-tip-wrap">
                <button type="submit" className="mr-btn primary" data-testid="sharing-save" disabled={!canChange || save.isPending}>
                  Save
                </button>
              </span>
            </div>
          </form>
        )}
      </div>
    </div>
  );
}
