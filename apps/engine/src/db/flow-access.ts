import type { PrismaClient } from "@millrace/db";
import { queryIn, sql } from "./sql.js";

/** Who may see a restricted flow besides its owner and the admins. */
export interface FlowAccessList {
  restricted: boolean;
  users: string[];
  groups: string[];
}

/** A flow's owner and access list, and whether one user is on that list (by name or through a group). */
export interface FlowStanding extends FlowAccessList {
  owner: string | null;
  listed: boolean;
}

/**
 * Per-flow access (table flow_access, column flow.owner_name) and the group membership it reads
 * (app_user.groups). Deciding who may see what is access/'s job; this only answers the facts.
 */
export class FlowAccessRepository {
  constructor(private readonly db: PrismaClient) {}

  /** The flow's owner, list and whether `userName` is listed; undefined when there is no such flow. */
  async standing(flowId: string, userName: string): Promise<FlowStanding | undefined> {
    const [row] = await queryIn<{ owner_name: string | null; restricted: boolean | null; users: string[] | null; groups: string[] | null; listed: boolean }>(
      this.db,
      sql`SELECT f.owner_name, a.restricted, a.users, a.groups,
            (${userName} = ANY(COALESCE(a.users, '{}'))
             OR COALESCE(a.groups, '{}') && COALESCE((SELECT u.groups FROM app_user u WHERE u.name = ${userName}), '{}')) AS listed
          FROM flow f LEFT JOIN flow_access a ON a.flow_id = f.id
          WHERE f.id = ${flowId}`,
    );
    if (!row) return undefined;
    return { owner: row.owner_name, restricted: row.restricted ?? false, users: row.users ?? [], groups: row.groups ?? [], listed: row.listed };
  }

  /** Ids of the restricted flows `userName` neither owns nor is listed in (by name or group). */
  async hiddenFrom(userName: string): Promise<Set<string>> {
    const rows = await queryIn<{ id: string }>(
      this.db,
      sql`SELECT f.id FROM flow f JOIN flow_access a ON a.flow_id = f.id
          WHERE a.restricted
            AND f.owner_name IS DISTINCT FROM ${userName}
            AND NOT (${userName} = ANY(COALESCE(a.users, '{}')))
            AND NOT (COALESCE(a.groups, '{}') && COALESCE((SELECT u.groups FROM app_user u WHERE u.name = ${userName}), '{}'))`,
    );
    return new Set(rows.map((r) => r.id));
  }

  /** Replaces the flow's access list (the flow exists: the caller has checked). */
  async set(flowId: string, list: FlowAccessList): Promise<void> {
    await this.db.flowAccess.upsert({
      where: { flowId },
      create: { flowId, restricted: list.restricted, users: list.users, groups: list.groups },
      update: { restricted: list.restricted, users: list.users, groups: list.groups, updatedAt: new Date() },
    });
  }
}
