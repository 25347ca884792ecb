import { atLeast, isRole, type Role } from "../roles.js";

/** Group claim value → role; `fallback` is the `*` entry, for users in none of the listed groups. */
export interface RoleMap {
  groups: ReadonlyMap<string, Role>;
  fallback?: Role;
}

/** Parses `millrace-admins=admin,millrace-ops=operator,*=viewer` (MILLRACE_OIDC_ROLE_MAP). */
export function parseRoleMap(text: string, variable = "MILLRACE_OIDC_ROLE_MAP"): RoleMap {
  const groups = new Map<string, Role>();
  let fallback: Role | undefined;
  for (const entry of text.split(",").map((e) => e.trim()).filter(Boolean)) {
    const eq = entry.lastIndexOf("=");
    const group = entry.slice(0, eq).trim();
    const role = entry.slice(eq + 1).trim();
    if (eq <= 0 || !group) throw new Error(`${variable}: "${entry}" is not group=role (e.g. millrace-admins=admin,*=viewer)`);
    if (!isRole(role)) throw new Error(`${variable}: "${entry}" names the role "${role}"; roles are viewer, operator, editor, admin`);
    if (group === "*") fallback = role;
    else groups.set(group, role);
  }
  if (groups.size === 0 && fallback === undefined) throw new Error(`${variable} maps no group to a role (e.g. millrace-admins=admin,millrace-ops=operator,*=viewer)`);
  return { groups, fallback };
}

/** The highest role any of the user's groups is given, else the `*` role, else undefined (no access). */
export function roleForGroups(map: RoleMap, userGroups: readonly string[]): Role | undefined {
  let best: Role | undefined;
  for (const g of userGroups) {
    const role = map.groups.get(g);
    if (role && (best === undefined || atLeast(role, best))) best = role;
  }
  return best ?? map.fallback;
}
