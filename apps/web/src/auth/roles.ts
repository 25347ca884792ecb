import { atLeast, type Role } from "@millrace/flow";

/*
 * What the designer needs each role for (the roles themselves are @millrace/flow's). The engine
 * refuses anyway; the designer only disables what would be refused, with the reason in its tooltip.
 */

export { isRole, ROLES, type Role } from "@millrace/flow";

/** What the designer can ask of the engine, and the least role it takes. */
export const NEEDS = {
  deploy: "operator",
  tap: "operator",
  lineage: "operator",
  tableSnapshot: "operator",
  edit: "editor",
  connections: "editor",
  manageConnections: "admin",
  registerSchemas: "editor",
  schemaCompatibility: "editor",
  users: "admin",
  audit: "admin",
} as const satisfies Record<string, Role>;
export type Capability = keyof typeof NEEDS;

export function hasRole(role: Role | undefined, needed: Role): boolean {
  // no role known means an engine without identities: nothing to disable
  if (role === undefined) return true;
  return atLeast(role, needed);
}

/** "" when `role` may; otherwise the tooltip that says which role it takes. */
export function roleReason(role: Role | undefined, capability: Capability): string {
  const needed = NEEDS[capability];
  return hasRole(role, needed) ? "" : `Needs the ${needed} role (you are ${role})`;
}
