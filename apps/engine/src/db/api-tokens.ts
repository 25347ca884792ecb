import type { PrismaClient } from "@millrace/db";
import type { Role } from "../auth/roles.js";
import { queryIn, sql } from "./sql.js";

export interface ApiTokenSummary {
  id: string;
  name: string;
  role: Role;
  owner: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface ApiTokenOwner {
  id: string;
  role: Role;
  owner: string;
  ownerRole: Role;
  /** seconds since it was last used, null when never (it is touched again when this grows) */
  idleSeconds: number | null;
}

/** API tokens (table api_token), keyed by the sha256 of the token; a token goes with its owner. */
export class ApiTokenRepository {
  constructor(private readonly db: PrismaClient) {}

  async create(token: { id: string; tokenHash: string; name: string; role: Role; owner: string }): Promise<void> {
    await this.db.apiToken.create({ data: { id: token.id, tokenHash: token.tokenHash, name: token.name, role: token.role, ownerName: token.owner } });
  }

  /** The token's id, role and its owner with the owner's current role; undefined when revoked or unknown. */
  async find(tokenHash: string): Promise<ApiTokenOwner | undefined> {
    const rows = await queryIn<ApiTokenOwner>(
      this.db,
      sql`SELECT t.id, t.role, u.name AS owner, u.role AS "ownerRole", EXTRACT(EPOCH FROM (now() - t.last_used_at))::float8 AS "idleSeconds"
        FROM api_token t JOIN app_user u ON u.name = t.owner_name WHERE t.token_hash = ${tokenHash}`,
    );
    return rows[0];
  }

  async touch(id: string): Promise<void> {
    await queryIn(this.db, sql`UPDATE api_token SET last_used_at = now() WHERE id = ${id}`);
  }

  /** Every token, or one owner's, newest first. */
  async list(owner?: string): Promise<ApiTokenSummary[]> {
    const rows = await this.db.apiToken.findMany({ where: owner === undefined ? {} : { ownerName: owner }, orderBy: { createdAt: "desc" } });
    return rows.map((t) => ({ id: t.id, name: t.name, role: t.role as Role, owner: t.ownerName, createdAt: t.createdAt, lastUsedAt: t.lastUsedAt }));
  }

  /** Deletes the token (only when `owner` owns it, if given); whether one went. */
  async revoke(id: string, owner?: string): Promise<boolean> {
    const r = await this.db.apiToken.deleteMany({ where: owner === undefined ? { id } : { id, ownerName: owner } });
    return r.count > 0;
  }
}
