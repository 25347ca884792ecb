// The roles are part of the flow package's contract, shared with the designer.
export { atLeast, isRole, lowerRole, rankOf, roleBelow, ROLES, type Role } from "@millrace/flow";
