import type { PrismaClient } from "@millrace/db";
import type { Role } from "../auth/roles.js";
import { queryIn, sql } from "./sql.js";

export interface SessionLimits {
  idleMinutes: number;
  maxHours: number;
}

export interface LiveSession {
  userName: string;
  role: Role;
  /** seconds since the last request seen on it (it is touched again when this grows) */
  idleSeconds: number;
}

/** Browser sessions (table user_session), keyed by the sha256 of the cookie token; expiry judged by the database's clock. */
export class SessionRepository {
  constructor(private readonly db: PrismaClient) {}

  async create(tokenHash: string, userName: string): Promise<void> {
    await this.db.session.create({ data: { tokenHash, userName } });
  }

  /** The session's user and current role, unless it is unknown, idle too long or too old. */
  async find(tokenHash: string, limits: SessionLimits): Promise<LiveSession | undefined> {
    const rows = await queryIn<LiveSession>(
      this.db,
      sql`SELECT u.name AS "userName", u.role, EXTRACT(EPOCH FROM (now() - s.last_seen_at))::float8 AS "idleSeconds"
        FROM user_session s JOIN app_user u ON u.name = s.user_name
        WHERE s.token_hash = ${tokenHash}
          AND s.last_seen_at > now() - make_interval(mins => ${limits.idleMinutes})
          AND s.created_at > now() - make_interval(hours => ${limits.maxHours})`,
    );
    return rows[0];
  }

  /** Marks the session used now (idle expiry counts from here). */
  async touch(tokenHash: string): Promise<void> {
    await queryIn(this.db, sql`UPDATE user_session SET last_seen_at = now() WHERE token_hash = ${tokenHash}`);
  }

  async delete(tokenHash: string): Promise<void> {
    await this.db.session.deleteMany({ where: { tokenHash } });
  }

  /** Drops the sessions past either expiry; how many went. */
  async deleteExpired(limits: SessionLimits): Promise<number> {
    const rows = await queryIn<{ n: number }>(
      this.db,
      sql`WITH gone AS (DELETE FROM user_session WHERE last_seen_at <= now() - make_interval(mins => ${limits.idleMinutes})
          OR created_at <= now() - make_interval(hours => ${limits.maxHours}) RETURNING 1) SELECT count(*)::int AS n FROM gone`,
    );
    return rows[0]?.n ?? 0;
  }
}
