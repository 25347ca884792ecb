/**
 * Roles as the engine orders them, and what the designer needs each for. The engine refuses
 * anyway; the designer only disables what would be refused, with the reason in its tooltip.
 */
export const ROLES = ["viewer", "operator", "editor", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** What the designer can ask of the engine, and the least role it takes. */
export const NEEDS = {
  deploy: "operator",
  tap: "operator",
  lineage: "operator",
  edit: "editor",
  users: "admin",
  audit: "admin",
} as const satisfies Record<string, Role>;
export type Capability = keyof typeof NEEDS;

export function hasRole(role: Role | undefined, needed: Role): boolean {
  // no role known means an engine without identities: nothing to disable
  if (role === undefined) return true;
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** "" when `role` may; otherwise the tooltip that says which role it takes. */
export function roleReason(role: Role | undefined, capability: Capability): string {
  const needed = NEEDS[capability];
  return hasRole(role, needed) ? "" : `Needs the ${needed} role (you are ${role})`;
}

export function isRole(x: unknown): x is Role {
  return typeof x === "string" && (ROLES as readonly string[]).includes(x);
}
