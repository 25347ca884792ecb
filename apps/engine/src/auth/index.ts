// Who may call the engine: local users with argon2id passwords, single sign-on through an OpenID
// Connect provider (oidc/), browser sessions, API tokens and the role order. The API (api/trpc.ts)
// asks `authenticate` who a request comes from and checks roles; everything stored goes through
// the repositories in db/.
import type { ApiTokenRepository, ExternalUserRepository, SessionRepository, UserRepository } from "../db/index.js";
import { logger } from "../log.js";
import { createAuthenticate, type Authenticate } from "./authenticate.js";
import { Logins } from "./logins.js";
import { OidcLogin } from "./oidc/oidc-login.js";
import { LoginRateLimiter } from "./rate-limit.js";
import { DEFAULT_IDENTITY_SETTINGS, type IdentitySettings } from "./settings.js";
import { TokenIssuer } from "./token-issuer.js";
import { UserAdmin } from "./user-admin.js";

export { bearerTokenOf, type Authenticate } from "./authenticate.js";
export { ensureFirstAdmin, FIRST_ADMIN } from "./first-admin.js";
export type { Principal } from "./principal.js";
export { atLeast, isRole, lowerRole, roleBelow, ROLES, type Role } from "./roles.js";
export { cameOverHttps, clearedSessionCookie, sessionCookie, SESSION_COOKIE } from "./session-cookie.js";
export { DEFAULT_IDENTITY_SETTINGS, identitySettingsFromEnv, type IdentitySettings } from "./settings.js";
export { Logins, OidcLogin, TokenIssuer, UserAdmin };
export { OIDC_CALLBACK_PATH, OIDC_LOGIN_PATH } from "./oidc/oidc-login.js";
export { oidcRoutes } from "./oidc/routes.js";
export type { OidcSettings } from "./oidc/settings.js";

export interface Identity {
  authenticate: Authenticate;
  logins: Logins;
  tokens: TokenIssuer;
  users: UserAdmin;
  settings: IdentitySettings;
  /** single sign-on, when an OpenID Connect provider is configured */
  oidc?: OidcLogin;
}

export function createIdentity(
  repos: { users: UserRepository; sessions: SessionRepository; apiTokens: ApiTokenRepository; externalUsers: ExternalUserRepository },
  settings: Partial<IdentitySettings> = {},
): Identity {
  const s: IdentitySettings = { ...DEFAULT_IDENTITY_SETTINGS, ...settings };
  const tokens = new TokenIssuer(repos.apiTokens);
  const logins = new Logins(repos, new LoginRateLimiter(s.loginFailuresPerMinute), tokens, s);
  return {
    authenticate: createAuthenticate(repos, { idleMinutes: s.sessionIdleMinutes, maxHours: s.sessionMaxHours }),
    logins,
    tokens,
    users: new UserAdmin(repos.users),
    settings: s,
    ...(s.oidc ? { oidc: new OidcLogin(s.oidc, { externalUsers: repos.externalUsers, logins, log: logger.child({ module: "auth" }) }) } : {}),
  };
}
