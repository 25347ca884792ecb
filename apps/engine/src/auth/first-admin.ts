import { randomBytes } from "node:crypto";
import type { UserRepository } from "../db/index.js";
import type { Logger } from "../log.js";
import { hashPassword, MIN_PASSWORD_LENGTH } from "./passwords.js";

export const FIRST_ADMIN = "admin";

/**
 * On a first start (no user at all) creates `admin` with MILLRACE_ADMIN_PASSWORD, or with a
 * generated password printed once here: it is stored only as a hash, so this log line is the
 * only place it ever appears. The configured password is never logged.
 */
export async function ensureFirstAdmin(users: UserRepository, adminPassword: string | undefined, url: string, log: Logger): Promise<void> {
  if ((await users.count()) > 0) return;
  if (adminPassword !== undefined && adminPassword.length < MIN_PASSWORD_LENGTH) {
    throw new Error(`MILLRACE_ADMIN_PASSWORD is shorter than ${MIN_PASSWORD_LENGTH} characters; set a longer one (it becomes the first admin's password)`);
  }
  const password = adminPassword ?? randomBytes(18).toString("base64url");
  const created = await users.addFirst({ name: FIRST_ADMIN, role: "admin", passwordHash: await hashPassword(password) });
  if (!created) return; // another engine on this database created the first user meanwhile
  if (adminPassword !== undefined) {
    log.info({ user: FIRST_ADMIN }, `created the first user "${FIRST_ADMIN}" (role admin) with the password from MILLRACE_ADMIN_PASSWORD; log in at ${url} as ${FIRST_ADMIN}`);
  } else {
    log.warn(
      { user: FIRST_ADMIN },
      `created the first user "${FIRST_ADMIN}" (role admin) with the generated password ${password} (shown this once, stored only as a hash); log in at ${url} as ${FIRST_ADMIN}, then add users or set MILLRACE_ADMIN_PASSWORD before a first start`,
    );
  }
}
