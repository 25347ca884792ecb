import type { PrismaClient } from "@millrace/db";
import type { Role } from "../auth/roles.js";
import { DomainError } from "../errors.js";
import { queryIn, sql } from "./sql.js";
import { leavesNoAdmin } from "./users.js";

type Tx = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

/** Who an OpenID Connect provider says signed in, and what its claims grant here. */
export interface ExternalSignIn {
  issuer: string;
  subject: string;
  /** the name to create the user under on a first sign-in (later sign-ins keep the stored one) */
  name: string;
  role: Role;
  groups: readonly string[];
}

/** Who is signed in: the stored name and the role it has now. */
export interface ExternalSignedIn {
  name: string;
  role: Role;
  /** the claims would have demoted the last admin: it stays admin */
  keptAdmin: boolean;
}

/**
 * Single sign-on users in app_user: found by (issuer, subject), never by name, so a provider
 * account cannot take over a local user of the same name. They have no password hash.
 */
export class ExternalUserRepository {
  constructor(private readonly db: PrismaClient) {}

  /**
   * Creates the user on a first sign-in, else refreshes its role and groups. CONFLICT when the
   * name belongs to someone else. The role the claims grant is not applied when it would demote
   * the last admin (the same guard as UserRepository.setRole): the user stays admin, `keptAdmin`.
   */
  async signIn(u: ExternalSignIn): Promise<ExternalSignedIn> {
    const groups = [...u.groups];
    return this.db.$transaction(async (tx) => {
      const refreshed = await this.refresh(tx, u, groups);
      if (refreshed) return refreshed;
      // a concurrent first sign-in of the same account loses the insert and refreshes instead
      const inserted = await queryIn<{ name: string }>(
        tx,
        sql`INSERT INTO app_user (name, role, password_hash, external_issuer, external_subject, groups)
          VALUES (${u.name}, ${u.role}, NULL, ${u.issuer}, ${u.subject}, ${groups}::text[]) ON CONFLICT DO NOTHING RETURNING name`,
      );
      if (inserted[0]) return { name: inserted[0].name, role: u.role, keptAdmin: false };
      const again = await this.refresh(tx, u, groups);
      if (again) return again;
      throw new DomainError("CONFLICT", `the user name "${u.name}" is taken by another user of this engine; an admin can remove or rename that user`);
    });
  }

  private async refresh(tx: Tx, u: ExternalSignIn, groups: string[]): Promise<ExternalSignedIn | undefined> {
    const found = await queryIn<{ name: string }>(tx, sql`SELECT name FROM app_user WHERE external_issuer = ${u.issuer} AND external_subject = ${u.subject}`);
    const name = found[0]?.name;
    if (name === undefined) return undefined;
    let keptAdmin: boolean;
    try {
      keptAdmin = await leavesNoAdmin(tx, name, u.role);
    } catch (e) {
      // removed since it was found: a first sign-in again
      if (e instanceof DomainError && e.code === "NOT_FOUND") return undefined;
      throw e;
    }
    const role: Role = keptAdmin ? "admin" : u.role;
    // the account again in the WHERE: a user of that name created meanwhile by someone else is never touched
    const updated = await queryIn<{ name: string }>(
      tx,
      sql`UPDATE app_user SET role = ${role}, groups = ${groups}::text[]
        WHERE name = ${name} AND external_issuer = ${u.issuer} AND external_subject = ${u.subject} RETURNING name`,
    );
    return updated[0] ? { name, role, keptAdmin } : undefined;
  }
}
