import { useState } from "react";
import { create } from "zustand";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { errorMessage, trpc } from "../api/client";
import { useAuthStore } from "../auth/authStore";
import { hasRole, ROLES, roleReason, type Role } from "../auth/roles";
import { ui } from "../store/uiStore";
import { AuditPanel } from "./AuditPanel";

type Tab = "tokens" | "users" | "audit";
export const useAccountDialog = create<{ tab: Tab | null }>(() => ({ tab: null }));
export const openAccountDialog = (tab: Tab) => useAccountDialog.setState({ tab });
const close = () => useAccountDialog.setState({ tab: null });

const tokensKey = ["auth", "tokens"];
const usersKey = ["auth", "users"];
const day = (d: string | Date | null | undefined) => (d ? new Date(d).toLocaleString() : "never");

/** The signed-in user's API tokens and, for admins, the users. */
export function AccountDialog() {
  const tab = useAccountDialog((s) => s.tab);
  const user = useAuthStore((s) => (s.status === "signed-in" ? s.user : undefined));
  if (!tab || !user) return null;
  const usersReason = roleReason(user.role, "users");
  const auditReason = roleReason(user.role, "audit");
  return (
    <div className="mr-modal-back" onClick={close}>
      <div className="mr-modal wide" role="dialog" aria-label="Account" data-testid="account-dialog" onClick={(e) => e.stopPropagation()}>
        <div className="mr-modal-head">
          <h2>
            {user.name} <span className="mr-role">{user.role}</span>
          </h2>
          <button className="mr-icon" data-testid="account-close" onClick={close} aria-label="Close">
            ✕
          </button>
        </div>
        <div className="mr-tabs" role="tablist">
          <button className="mr-tab" role="tab" aria-selected={tab === "tokens"} data-testid="tab-tokens" onClick={() => openAccountDialog("tokens")}>
            API tokens
          </button>
          <span title={usersReason}>
            <button className="mr-tab" role="tab" aria-selected={tab === "users"} data-testid="tab-users" disabled={!!usersReason} onClick={() => openAccountDialog("users")}>
              Users
            </button>
          </span>
          <span title={auditReason}>
            <button className="mr-tab" role="tab" aria-selected={tab === "audit"} data-testid="tab-audit" disabled={!!auditReason} onClick={() => openAccountDialog("audit")}>
              Audit log
            </button>
          </span>
        </div>
        {tab === "tokens" ? <TokensPanel role={user.role} /> : tab === "audit" ? !auditReason && <AuditPanel /> : !usersReason && <UsersPanel self={user.name} />}
      </div>
    </div>
  );
}

function TokensPanel({ role }: { role: Role }) {
  const qc = useQueryClient();
  const tokens = useQuery({ queryKey: tokensKey, queryFn: () => trpc.tokens.list.query() });
  const [name, setName] = useState("");
  const [tokenRole, setTokenRole] = useState<Role>("viewer");
  const [created, setCreated] = useState<{ name: string; token: string }>();
  const create = useMutation({
    mutationFn: () => trpc.tokens.create.mutate({ role: tokenRole, name: name.trim() || undefined }),
    onSuccess: (r) => {
      setCreated({ name: r.name, token: r.token });
      setName("");
      void qc.invalidateQueries({ queryKey: tokensKey });
    },
    onError: (e) => ui.toast(errorMessage(e), "error"),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => trpc.tokens.revoke.mutate({ id }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: tokensKey }),
    onError: (e) => ui.toast(errorMessage(e), "error"),
  });
  return (
    <section data-testid="tokens-panel">
      <p className="mr-muted small">
        For the CLI and automation: send as <code>Authorization: Bearer …</code> or set <code>MILLRACE_TOKEN</code>. A token never has more rights than you.
      </p>
      <form
        className="mr-form-row"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <input className="mr-input" data-testid="token-name" placeholder="Name (e.g. ci deploy)" maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        <select className="mr-input" data-testid="token-role" aria-label="Token role" value={tokenRole} onChange={(e) => setTokenRole(e.target.value as Role)}>
          {ROLES.filter((r) => hasRole(role, r)).map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <button type="submit" className="mr-btn primary small" data-testid="token-create" disabled={create.isPending}>
          Create token
        </button>
      </form>
      {created && (
        <div className="mr-secret-once" data-testid="token-created">
          <span>
            Token <b>{created.name}</b>: copy it now, it is not shown again.
          </span>
          <code data-testid="token-value">{created.token}</code>
          <span>
            <button className="mr-btn small" onClick={() => void navigator.clipboard?.writeText(created.token).then(() => ui.toast("Copied", "success"))}>
              Copy
            </button>{" "}
            <button className="mr-btn small ghost" onClick={() => setCreated(undefined)}>
              Done
            </button>
          </span>
        </div>
      )}
      {tokens.error ? (
        <div className="mr-field-error block">{errorMessage(tokens.error)}</div>
      ) : (
        <table className="mr-table" data-testid="tokens-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>Owner</th>
              <th>Created</th>
              <th>Last used</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(tokens.data ?? []).map((t) => (
              <tr key={t.id} data-testid={`token-row-${t.id}`}>
                <td>{t.name}</td>
                <td>{t.role}</td>
                <td>{t.owner}</td>
                <td>{day(t.createdAt)}</td>
                <td>{day(t.lastUsedAt)}</td>
                <td>
                  <button className="mr-btn small danger" data-testid={`token-revoke-${t.id}`} disabled={revoke.isPending} onClick={() => window.confirm(`Revoke token "${t.name}"? Whatever uses it stops working.`) && revoke.mutate(t.id)}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
            {tokens.data?.length === 0 && (
              <tr>
                <td colSpan={6} className="mr-muted">
                  No tokens yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}

function UsersPanel({ self }: { self: string }) {
  const qc = useQueryClient();
  const users = useQuery({ queryKey: usersKey, queryFn: () => trpc.users.list.query() });
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const refresh = () => void qc.invalidateQueries({ queryKey: usersKey });
  const onError = (e: unknown) => ui.toast(errorMessage(e), "error");
  const add = useMutation({
    mutationFn: () => trpc.users.add.mutate({ name: name.trim(), role, password }),
    onSuccess: () => {
      ui.toast(`Added ${name.trim()} (${role})`, "success");
      setName("");
      setPassword("");
      refresh();
    },
    onError,
  });
  const setUserRole = useMutation({ mutationFn: (u: { name: string; role: Role }) => trpc.users.setRole.mutate(u), onSuccess: refresh, onError });
  const remove = useMutation({ mutationFn: (n: string) => trpc.users.remove.mutate({ name: n }), onSuccess: refresh, onError });
  const setGroups = useMutation({ mutationFn: (u: { name: string; groups: string[] }) => trpc.users.setGroups.mutate(u), onSuccess: refresh, onError });
  return (
    <section data-testid="users-panel">
      <form
        className="mr-form-row"
        onSubmit={(e) => {
          e.preventDefault();
          add.mutate();
        }}
      >
        <input className="mr-input" data-testid="user-add-name" placeholder="User name" autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
        <input className="mr-input" data-testid="user-add-password" type="password" placeholder="Password (8+ characters)" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        <select className="mr-input" data-testid="user-add-role" aria-label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <button type="submit" className="mr-btn primary small" data-testid="user-add" disabled={add.isPending || !name.trim() || password.length < 8}>
          Add user
        </button>
      </form>
      {users.error ? (
        <div className="mr-field-error block">{errorMessage(users.error)}</div>
      ) : (
        <table className="mr-table" data-testid="users-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th title="Flows shared with a group are seen by its members">Groups</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(users.data ?? []).map((u) => (
              <tr key={u.name} data-testid={`user-row-${u.name}`}>
                <td>
                  {u.name}
                  {u.name === self && <span className="mr-muted"> (you)</span>}
                </td>
                <td>
                  <select className="mr-input small" aria-label={`Role of ${u.name}`} data-testid={`user-role-${u.name}`} value={u.role} disabled={setUserRole.isPending} onChange={(e) => setUserRole.mutate({ name: u.name, role: e.target.value as Role })}>
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <input
                    // a new list from the engine resets the field
                    key={u.groups.join(",")}
                    className="mr-input small"
                    aria-label={`Groups of ${u.name}`}
                    data-testid={`user-groups-${u.name}`}
                    placeholder="none"
                    defaultValue={u.groups.join(", ")}
                    onKeyDown={(e) => e.key === "Enter" && (e.target as HTMLInputElement).blur()}
                    onBlur={(e) => {
                      const groups = e.target.value.split(/[\s,]+/).filter(Boolean);
                      if (groups.join(",") !== u.groups.join(",")) setGroups.mutate({ name: u.name, groups });
                    }}
                  />
                </td>
                <td>{day(u.createdAt)}</td>
                <td>
                  <button className="mr-btn small danger" data-testid={`user-remove-${u.name}`} disabled={remove.isPending} onClick={() => window.confirm(`Remove user ${u.name}? Their sessions and tokens stop working.`) && remove.mutate(u.name)}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
