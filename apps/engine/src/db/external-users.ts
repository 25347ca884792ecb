import type { PrismaClient } from "@millrace/db";
import type { Role } from "../auth/roles.js";
import { DomainError } from "../errors.js";
import { queryIn, sql } from "./sql.js";

/** Who an OpenID Connect provider says signed in, and what its claims grant here. */
export interface ExternalSignIn {
  issuer: string;
  subject: string;
  /** the name to create the user under on a first sign-in (later sign-ins keep the stored one) */
  name: string;
  role: Role;
  groups: readonly string[];
}

/**
 * Single sign-on users in app_user: found by (issuer, subject), never by name, so a provider
 * account cannot take over a local user of the same name. They have no password hash.
 */
export class ExternalUserRepository {
  constructor(private readonly db: PrismaClient) {}

  /** Creates the user on a first sign-in, else refreshes its role and groups; the stored name. CONFLICT when the name belongs to someone else. */
  async signIn(u: ExternalSignIn): Promise<string> {
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
      if (inserted[0]) return inserted[0].name;
      const again = await this.refresh(tx, u, groups);
      if (again) return again;
      throw new DomainError("CONFLICT", `the user name "${u.name}" is taken by another user of this engine; an admin can remove or rename that user`);
    });
  }

  private async refresh(tx: Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0], u: ExternalSignIn, groups: string[]): Promise<string | undefined> {
    const rows = await queryIn<{ name: string }>(
      tx,
      sql`UPDATE app_user SET role = ${u.role}, groups = ${groups}::text[]
        WHERE external_issuer = ${u.issuer} AND external_subject = ${u.subject} RETURNING name`,
    );
    return rows[0]?.name;
  }
}
