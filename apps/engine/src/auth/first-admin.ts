import { randomBytes } from "node:crypto";
import type { UserRepository } from "../db/index.js";
import type { Logger } from "../log.js";
import { hashPassword, MIN_PASSWORD_LENGTH } from "./passwords.js";

export const FIRST_ADMIN = "admin";

/**
 * On a first start (no user at all) creates `admin` with MILLRACE_ADMIN_PASSWORD, or with a
 * generated password printed once: it is stored only as a hash, so that log line is the only place
 * it ever appears. The configured password is never logged. Runs before the engine serves (a
 * client that sees the engine answer can log in at once); the returned function says how to log
 * in once the engine's URL is known.
 */
export async function ensureFirstAdmin(users: UserRepository, adminPassword: string | undefined, log: Logger): Promise<(url: string) => void> {
  const nothing = () => {};
  if ((await users.count()) > 0) return nothing;
  if (adminPassword !== undefined && adminPassword.length < MIN_PASSWORD_LENGTH) {
    throw new Error(`MILLRACE_ADMIN_PASSWORD is shorter than ${MIN_PASSWORD_LENGTH} characters; set a longer one (it becomes the first admin's password)`);
  }
  const password = adminPassword ?? randomBytes(18).toString("base64url");
  const created = await users.addFirst({ name: FIRST_ADMIN, role: "admin", passwordHash: await hashPassword(password) });
  if (!created) return nothing; // another engine on this database created the first user meanwhile
  if (adminPassword !== undefined) {
    return (url) => log.info({ user: FIRST_ADMIN }, `created the first user "${FIRST_ADMIN}" (role admin) with the password from MILLRACE_ADMIN_PASSWORD; log in at ${url} as ${FIRST_ADMIN}`);
  }
  return (url) =>
    log.warn(
      { user: FIRST_ADMIN },
      `created the first user "${FIRST_ADMIN}" (role admin) with the generated password ${password} (shown this once, stored only as a hash); log in at ${url} as ${FIRST_ADMIN}, then add users or set MILLRACE_ADMIN_PASSWORD before a first start`,
    );
}
