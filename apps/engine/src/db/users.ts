import type { PrismaClient } from "@millrace/db";
import type { Role } from "../auth/roles.js";
import { DomainError } from "../errors.js";
import { queryIn, sql } from "./sql.js";

export interface UserRecord {
  name: string;
  role: Role;
  /** null for a single sign-on user: no password opens it */
  passwordHash: string | null;
  createdAt: Date;
}

export interface UserSummary {
  name: string;
  role: Role;
  createdAt: Date;
  /** the groups it belongs to (flow access lists name them) */
  groups: string[];
}

const LAST_ADMIN = "the last admin cannot be removed or demoted: make another user admin first";

/** Local users (table app_user). The last admin is guarded here, under a row lock, so two admins demoting each other cannot both succeed. */
export class UserRepository {
  constructor(private readonly db: PrismaClient) {}

  async get(name: string): Promise<UserRecord | undefined> {
    const u = await this.db.user.findUnique({ where: { name } });
    return u ? { name: u.name, role: u.role as Role, passwordHash: u.passwordHash, createdAt: u.createdAt } : undefined;
  }

  async list(): Promise<UserSummary[]> {
    const rows = await this.db.user.findMany({ orderBy: { name: "asc" }, select: { name: true, role: true, createdAt: true, groups: true } });
    return rows.map((u) => ({ ...u, role: u.role as Role }));
  }

  /** Adds a user; CONFLICT when the name is taken. */
  async add(user: { name: string; role: Role; passwordHash: string }): Promise<void> {
    const rows = await queryIn<{ name: string }>(
      this.db,
      sql`INSERT INTO app_user (name, role, password_hash) VALUES (${user.name}, ${user.role}, ${user.passwordHash}) ON CONFLICT (name) DO NOTHING RETURNING name`,
    );
    if (!rows.length) throw new DomainError("CONFLICT", `a user named "${user.name}" exists already`);
  }

  /**
   * Adds the user only while the table is empty (the first start); false when some user exists.
   * Two engines starting at once on an empty database create it once (the name is the key).
   */
  async addFirst(user: { name: string; role: Role; passwordHash: string }): Promise<boolean> {
    const rows = await queryIn<{ name: string }>(
      this.db,
      sql`INSERT INTO app_user (name, role, password_hash) SELECT ${user.name}, ${user.role}, ${user.passwordHash}
        WHERE NOT EXISTS (SELECT 1 FROM app_user) ON CONFLICT (name) DO NOTHING RETURNING name`,
    );
    return rows.length > 0;
  }

  async count(): Promise<number> {
    return this.db.user.count();
  }

  /** Replaces the user's groups; NOT_FOUND for an unknown name. */
  async setGroups(name: string, groups: string[]): Promise<void> {
    const n = await this.db.user.updateMany({ where: { name }, data: { groups } });
    if (n.count === 0) throw new DomainError("NOT_FOUND", `no user named "${name}"`);
  }

  /** The user's groups (none for an unknown name). */
  async groupsOf(name: string): Promise<string[]> {
    return (await this.db.user.findUnique({ where: { name }, select: { groups: true } }))?.groups ?? [];
  }

  /** NOT_FOUND for an unknown name; CONFLICT when it would leave no admin. */
  async setRole(name: string, role: Role): Promise<void> {
    await this.db.$transaction(async (tx) => {
      if (await leavesNoAdmin(tx, name, role)) throw new DomainError("CONFLICT", LAST_ADMIN);
      await tx.user.update({ where: { name }, data: { role } });
    });
  }

  /**
   * Removes a user with its sessions and tokens, its ownership of flows and its place on flow
   * access lists; NOT_FOUND for an unknown name; CONFLICT for the last admin.
   */
  async remove(name: string): Promise<void> {
    await this.db.$transaction(async (tx) => {
      if (await leavesNoAdmin(tx, name, undefined)) throw new DomainError("CONFLICT", LAST_ADMIN);
      await tx.user.delete({ where: { name } });
      // a later user of the same name must not inherit this one's flows or the flows shared with it
      await tx.flow.updateMany({ where: { ownerName: name }, data: { ownerName: null } });
      await queryIn(tx, sql`UPDATE flow_access SET users = array_remove(users, ${name}) WHERE ${name} = ANY(users) RETURNING flow_id`);
    });
  }
}

type Tx = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

/**
 * The last-admin guard, for every change of a user's role (`next`; undefined: removing the user):
 * whether it would leave no admin. It locks the admins' rows and the user's, in name order, so
 * changes to admins are serialised (two admins demoting each other cannot both succeed); call it
 * in the transaction that makes the change. NOT_FOUND for an unknown name.
 */
export async function leavesNoAdmin(tx: Tx, name: string, next: Role | undefined): Promise<boolean> {
  const rows = await queryIn<{ name: string; role: Role }>(tx, sql`SELECT name, role FROM app_user WHERE role = 'admin' OR name = ${name} ORDER BY name FOR UPDATE`);
  const user = rows.find((r) => r.name === name);
  if (!user) throw new DomainError("NOT_FOUND", `no user named "${name}"`);
  if (user.role !== "admin" || next === "admin") return false;
  return (await tx.user.count({ where: { role: "admin", name: { not: name } } })) === 0;
}
