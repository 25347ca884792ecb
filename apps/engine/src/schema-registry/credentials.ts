import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { UserRepository } from "../db/index.js";
import type { Identity, Role } from "../auth/index.js";

/** Who calls the registry, and how they proved it (for the audit log). */
export interface RegistryCaller {
  name: string;
  role: Role;
  via: "session" | "token" | "basic-password" | "basic-token";
}

/** A password proven right is trusted for this long, while the user's stored hash is unchanged. */
const PROVEN_FOR_MS = 60_000;
const MAX_PROVEN = 1_000;

/**
 * The registry's callers: Confluent clients send HTTP Basic on every request, so besides the
 * engine's sessions and `Authorization: Bearer mr_…` tokens it takes Basic with a Millrace user
 * and password, or with an API token as the password (any user name, e.g. `token`). A password
 * is checked with argon2id (rate-limited like a login) and then remembered briefly by a hash of
 * name and password, so each request does not pay the hashing; a changed password or a removed
 * user ends that at once (the stored hash is compared on every request).
 */
export class RegistryCredentials {
  private readonly proven = new Map<string, { passwordHash: string; until: number }>();

  constructor(
    private readonly identity: Pick<Identity, "authenticate" | "logins">,
    private readonly users: Pick<UserRepository, "get">,
    private readonly now: () => number = Date.now,
  ) {}

  /** The caller, or undefined when the request proves no one (a wrong password throws TOO_MANY once rate-limited). */
  async caller(req: Pick<IncomingMessage, "headers" | "socket">): Promise<RegistryCaller | undefined> {
    const basic = basicCredentials(req.headers.authorization);
    if (!basic) {
      const p = await this.identity.authenticate(req);
      return p && { name: p.name, role: p.role, via: p.via };
    }
    if (basic.password.startsWith("mr_")) {
      const p = await this.identity.authenticate({ headers: { authorization: `Bearer ${basic.password}` } });
      if (p) return { name: p.name, role: p.role, via: "basic-token" };
    }
    return this.passwordCaller(basic.user, basic.password, req.socket.remoteAddress ?? "unknown");
  }

  private async passwordCaller(name: string, password: string, address: string): Promise<RegistryCaller | undefined> {
    const user = await this.users.get(name);
    const key = createHash("sha256").update(name).update("\0").update(password).digest("hex");
    const known = this.proven.get(key);
    if (user?.passwordHash && known && known.passwordHash === user.passwordHash && known.until > this.now()) {
      return { name: user.name, role: user.role, via: "basic-password" };
    }
    this.proven.delete(key);
    try {
      await this.identity.logins.checkPassword(name, password, address);
    } catch (e) {
      if ((e as { code?: string }).code === "UNAUTHENTICATED") return undefined;
      throw e;
    }
    if (!user?.passwordHash) return undefined;
    if (this.proven.size >= MAX_PROVEN) this.proven.delete(this.proven.keys().next().value!);
    this.proven.set(key, { passwordHash: user.passwordHash, until: this.now() + PROVEN_FOR_MS });
    return { name: user.name, role: user.role, via: "basic-password" };
  }
}

/** User and password of an `Authorization: Basic …` header. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const m = header && /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
