import type { PrismaClient } from "@millrace/db";
import { join, queryIn, raw, sql, type Sql } from "./sql.js";

/** How an audited call ended: allowed and done, or refused/failed with its tRPC error code. */
export type AuditOutcome = "ok" | "refused";

/** One audit row as written. `detail` holds ids and small facts only, never a secret. */
export interface AuditEventInput {
  /** the principal's name; for a login, the name tried; absent when nobody was logged in */
  actor?: string;
  /** how the actor proved it: session, token, or password (a login) */
  via?: string;
  remoteAddress?: string;
  action: string;
  /** the flow, user or token id the call was about */
  target?: string;
  detail: Record<string, unknown>;
  outcome: AuditOutcome;
  errorCode?: string;
}

export interface AuditEventRow extends Omit<AuditEventInput, "actor" | "via" | "remoteAddress" | "target" | "errorCode"> {
  /** decimal string (a bigint): the cursor for the next page */
  id: string;
  at: Date;
  actor: string | null;
  via: string | null;
  remoteAddress: string | null;
  target: string | null;
  errorCode: string | null;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  /** the target id (a flow, user or token) */
  target?: string;
  since?: Date;
  until?: Date;
  /** rows older than this id (the last id of the previous page) */
  before?: string;
  limit: number;
}

export interface AuditBounds {
  retentionDays: number;
  maxRows: number;
}

const COLUMNS = raw(`id::text AS id, at, actor, via, remote_address AS "remoteAddress", action, target, detail, outcome, error_code AS "errorCode"`);

/** The audit log (table audit_event), newest first; bounded by age and row count (prune). */
export class AuditRepository {
  constructor(private readonly db: PrismaClient) {}

  async append(e: AuditEventInput): Promise<void> {
    await queryIn(
      this.db,
      sql`INSERT INTO audit_event (actor, via, remote_address, action, target, detail, outcome, error_code)
        VALUES (${e.actor ?? null}, ${e.via ?? null}, ${e.remoteAddress ?? null}, ${e.action}, ${e.target ?? null}, ${JSON.stringify(e.detail)}::jsonb, ${e.outcome}, ${e.errorCode ?? null})`,
    );
  }

  async list(f: AuditFilter): Promise<AuditEventRow[]> {
    const where: Sql[] = [sql`TRUE`];
    if (f.actor !== undefined) where.push(sql`actor = ${f.actor}`);
    if (f.action !== undefined) where.push(sql`action = ${f.action}`);
    if (f.target !== undefined) where.push(sql`target = ${f.target}`);
    if (f.since) where.push(sql`at >= ${f.since}`);
    if (f.until) where.push(sql`at < ${f.until}`);
    if (f.before !== undefined) where.push(sql`id < ${f.before}::bigint`);
    return queryIn<AuditEventRow>(this.db, sql`SELECT ${COLUMNS} FROM audit_event WHERE ${join(where, " AND ")} ORDER BY id DESC LIMIT ${f.limit}`);
  }

  /** Drops rows older than the retention and all but the newest `maxRows`; how many went. */
  async prune(bounds: AuditBounds): Promise<number> {
    const rows = await queryIn<{ n: number }>(
      this.db,
      sql`WITH cutoff AS (SELECT id FROM audit_event ORDER BY id DESC OFFSET ${bounds.maxRows} LIMIT 1),
        gone AS (DELETE FROM audit_event WHERE at < now() - ${bounds.retentionDays}::float8 * interval '1 day'
          OR id <= (SELECT id FROM cutoff) RETURNING 1)
        SELECT count(*)::int AS n FROM gone`,
    );
    return rows[0]?.n ?? 0;
  }
}
