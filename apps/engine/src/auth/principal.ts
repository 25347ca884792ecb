import type { Role } from "./roles.js";

/** Who is calling, with the role they act with now, and how they proved it. */
export interface Principal {
  name: string;
  role: Role;
  via: "session" | "token";
  /** the API token's id (via "token" over HTTP): logout revokes it */
  tokenId?: string;
  /** the session's stored hash (via "session"): logout deletes it */
  sessionHash?: string;
}
