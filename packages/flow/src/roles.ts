/** Who may do what on the platform (a contract the engine enforces and the designer shows), each role including the ones before it. */
export const ROLES = ["viewer", "operator", "editor", "admin"] as const;
export type Role = (typeof ROLES)[number];

export function isRole(x: unknown): x is Role {
  return typeof x === "string" && (ROLES as readonly string[]).includes(x);
}

export function rankOf(role: Role): number {
  return ROLES.indexOf(role);
}

export function atLeast(role: Role, min: Role): boolean {
  return rankOf(role) >= rankOf(min);
}

/** The lower of two roles: what a token may do once its owner's role has changed. */
export function lowerRole(a: Role, b: Role): Role {
  return rankOf(a) <= rankOf(b) ? a : b;
}

/** The role just below (undefined for viewer). */
export function roleBelow(role: Role): Role | undefined {
  return ROLES[rankOf(role) - 1];
}
