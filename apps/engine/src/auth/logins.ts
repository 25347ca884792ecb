import type { ApiTokenRepository, SessionRepository, UserRepository } from "../db/index.js";
import { DomainError } from "../errors.js";
import { decoyHash, verifyPassword } from "./passwords.js";
import type { Principal } from "./principal.js";
import type { LoginRateLimiter } from "./rate-limit.js";
import type { Role } from "./roles.js";
import { newSessionToken, tokenHash } from "./secret-tokens.js";
import type { IdentitySettings } from "./settings.js";
import type { TokenIssuer } from "./token-issuer.js";

const WRONG = "wrong user name or password";

/** Password logins (rate-limited), the sessions they open and logout. */
export class Logins {
  constructor(
    private readonly repos: { users: UserRepository; sessions: SessionRepository; apiTokens: ApiTokenRepository },
    private readonly limiter: LoginRateLimiter,
    private readonly tokens: TokenIssuer,
    private readonly settings: IdentitySettings,
  ) {}

  /** Seconds a new session's cookie lives (its absolute expiry). */
  get sessionMaxAgeSeconds(): number {
    return this.settings.sessionMaxHours * 3600;
  }

  /** A browser login: a new session; its token goes into the cookie. */
  async login(name: string, password: string, address: string): Promise<{ name: string; role: Role; sessionToken: string }> {
    const user = await this.verify(name, password, address);
    return { name: user.name, role: user.role, sessionToken: await this.openSession(user.name) };
  }

  /** A new browser session for a user who proved who they are (a password here, or single sign-on); the cookie's token. */
  async openSession(userName: string): Promise<string> {
    const sessionToken = newSessionToken();
    await this.repos.sessions.create(tokenHash(sessionToken), userName);
    // expired sessions would otherwise stay until someone presents them again
    await this.repos.sessions.deleteExpired({ idleMinutes: this.settings.sessionIdleMinutes, maxHours: this.settings.sessionMaxHours });
    return sessionToken;
  }

  /** The CLI's login: an API token with the user's role, shown once. */
  async cliLogin(name: string, password: string, address: string, tokenName: string | undefined): Promise<{ token: string; name: string; role: Role }> {
    const user = await this.verify(name, password, address);
    const created = await this.tokens.create({ name: user.name, role: user.role }, user.role, tokenName ?? "cli login");
    return { token: created.token, name: user.name, role: user.role };
  }

  /** A password check that opens nothing, for clients sending it on every request (HTTP Basic); rate-limited like a login. */
  async checkPassword(name: string, password: string, address: string): Promise<{ name: string; role: Role }> {
    return this.verify(name, password, address);
  }

  /** Ends the session, or revokes the token, the request came with. */
  async logout(principal: Principal): Promise<void> {
    if (principal.sessionHash !== undefined) await this.repos.sessions.delete(principal.sessionHash);
    if (principal.tokenId !== undefined) await this.repos.apiTokens.revoke(principal.tokenId);
  }

  private async verify(name: string, password: string, address: string): Promise<{ name: string; role: Role }> {
    this.limiter.check(name, address);
    const user = await this.repos.users.get(name);
    // an unknown name costs the same hashing as a wrong password: timing does not tell names apart
    const ok = await verifyPassword(user?.passwordHash ?? (await decoyHash()), password);
    if (!user || !ok) {
      this.limiter.failed(name, address);
      throw new DomainError("UNAUTHENTICATED", WRONG);
    }
    this.limiter.succeeded(name);
    return user;
  }
}
