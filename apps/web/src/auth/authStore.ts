/**
 * Who is using the designer. The engine keeps the session in an HttpOnly cookie the page cannot
 * read, so the designer asks `auth.me`, and drops back to the login page on any 401.
 */
import { create } from "zustand";
import { isUnauthorized, isUnreachable, onUnauthorized, trpc } from "../api/client";
import { isRole, type Role } from "./roles";

export interface SignedInUser {
  name: string;
  role: Role;
}

export type AuthState =
  | { status: "checking" }
  /** the engine wants a login; `notice` says why when a session ended under the user */
  | { status: "anonymous"; notice?: string }
  | { status: "signed-in"; user: SignedInUser }
  /** an engine without identities (or not reachable yet): the designer works as it always did */
  | { status: "open" };

export const useAuthStore = create<AuthState>(() => ({ status: "checking" }));

export const auth = {
  async check(): Promise<void> {
    try {
      const me = await trpc.auth.me.query();
      useAuthStore.setState(isRole(me.role) ? { status: "signed-in", user: { name: me.name, role: me.role } } : { status: "open" }, true);
    } catch (e) {
      // anything but a 401 (unreachable, no auth.me, a failure) opens the designer, which says
      // what is wrong where it matters; a later 401 still brings the login page
      useAuthStore.setState(isUnauthorized(e) ? { status: "anonymous" } : { status: "open" }, true);
    }
  },

  /** Answers the engine's refusal in words, or undefined when signed in. */
  async login(name: string, password: string): Promise<string | undefined> {
    try {
      const me = await trpc.auth.login.mutate({ name, password });
      if (!isRole(me.role)) return `The engine answered an unknown role "${String(me.role)}"`;
      useAuthStore.setState({ status: "signed-in", user: { name: me.name, role: me.role } }, true);
      return undefined;
    } catch (e) {
      if (isUnreachable(e)) return "The engine is not reachable. Is it running?";
      if (isUnauthorized(e)) return "Wrong user name or password";
      return e instanceof Error ? e.message : String(e);
    }
  },

  async logout(): Promise<void> {
    try {
      await trpc.auth.logout.mutate();
    } finally {
      useAuthStore.setState({ status: "anonymous" }, true);
    }
  },

  /** A call was refused with 401: the session expired or was revoked. */
  sessionEnded(): void {
    const s = useAuthStore.getState();
    if (s.status === "signed-in" || s.status === "open") useAuthStore.setState({ status: "anonymous", notice: "Your session has ended: log in again." }, true);
  },
};

/** The signed-in role; undefined on an engine without identities (nothing to disable there). */
export function useRole(): Role | undefined {
  return useAuthStore((s) => (s.status === "signed-in" ? s.user.role : undefined));
}

onUnauthorized(auth.sessionEnded);
