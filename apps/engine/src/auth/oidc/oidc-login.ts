import * as oidc from "openid-client";
import type { ExternalUserRepository } from "../../db/index.js";
import { DomainError } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { Logins } from "../logins.js";
import type { Role } from "../roles.js";
import { PendingLogins } from "./pending-logins.js";
import { roleForGroups } from "./role-map.js";
import type { OidcSettings } from "./settings.js";

export const OIDC_LOGIN_PATH = "/auth/oidc/login";
export const OIDC_CALLBACK_PATH = "/auth/oidc/callback";

/** The rule for user and group names (local users follow it too). */
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/i;
const MAX_GROUPS = 100;

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * OpenID Connect login (authorization code flow with PKCE, state and nonce): sends the browser
 * to the provider, and on its return exchanges the code, checks the ID token, maps the user's
 * groups to a role and opens a normal session for the (created or refreshed) user.
 */
export class OidcLogin {
  private configuration?: Promise<oidc.Configuration>;
  private readonly pending = new PendingLogins();
  private engineUrl = "http://127.0.0.1";

  constructor(
    private readonly settings: OidcSettings,
    private readonly deps: { externalUsers: ExternalUserRepository; logins: Logins; log: Logger },
  ) {
    const issuer = new URL(settings.issuer);
    // a provider on this machine may speak plain HTTP (development, tests); anywhere else the tokens would travel in clear
    if (issuer.protocol === "http:" && !LOOPBACK.has(issuer.hostname)) {
      throw new Error(`MILLRACE_OIDC_ISSUER=${settings.issuer} is plain HTTP: use the provider's https:// issuer URL`);
    }
  }

  /** Where this engine is reached, for the default redirect URL (known once it listens). */
  useEngineUrl(url: string): void {
    this.engineUrl = url;
  }

  get redirectUrl(): string {
    return this.settings.redirectUrl ?? `${this.engineUrl}${OIDC_CALLBACK_PATH}`;
  }

  get issuer(): string {
    return this.settings.issuer;
  }

  /** The provider's authorization URL for a new login, and the state the browser must bring back. */
  async start(): Promise<{ authorizationUrl: string; state: string }> {
    const config = await this.config();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    this.pending.add(state, { codeVerifier, nonce });
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUrl,
      scope: this.settings.scopes,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      state,
      nonce,
    });
    return { authorizationUrl: url.href, state };
  }

  /**
   * Finishes a login from the provider's redirect (its query string) in the browser that started
   * it (`browserState`, from that browser's cookie): the user's name, role and new session token.
   */
  async finish(query: URLSearchParams, browserState: string | undefined): Promise<{ name: string; role: Role; sessionToken: string }> {
    const error = query.get("error");
    if (error) throw new DomainError("UNAUTHENTICATED", `the provider did not sign you in: ${query.get("error_description") ?? error}`);
    const state = query.get("state") ?? "";
    if (!browserState || browserState !== state) {
      throw new DomainError("UNAUTHENTICATED", "this sign-in was not started in this browser (or its cookie expired); start again from the login page");
    }
    const pending = this.pending.take(state);
    if (!pending) throw new DomainError("UNAUTHENTICATED", "this sign-in expired or was already used; start again from the login page");
    const config = await this.config();
    const currentUrl = new URL(this.redirectUrl);
    currentUrl.search = query.toString();
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, currentUrl, { pkceCodeVerifier: pending.codeVerifier, expectedState: state, expectedNonce: pending.nonce, idTokenExpected: true });
    } catch (e) {
      throw new DomainError("UNAUTHENTICATED", `the provider's answer could not be verified: ${describe(e)}`);
    }
    const idToken = tokens.claims()!;
    // providers that keep ID tokens small release the groups (and names) from userinfo only; the ID token's claims win
    const claims: Record<string, unknown> =
      idToken[this.settings.groupsClaim] !== undefined
        ? idToken
        : {
            ...(await oidc.fetchUserInfo(config, tokens.access_token, idToken.sub).catch((e: unknown) => {
              throw new DomainError("UNAVAILABLE", `the provider's userinfo endpoint failed: ${describe(e)}`);
            })),
            ...idToken,
          };
    const groups = groupList(claims[this.settings.groupsClaim]);
    const wanted = userNameFrom(claims);
    const role = roleForGroups(this.settings.roleMap, groups);
    if (!role) {
      this.deps.log.warn({ user: wanted, issuer: this.settings.issuer, groups }, `single sign-on of ${wanted} refused: none of its groups is in MILLRACE_OIDC_ROLE_MAP, which has no * entry`);
      throw new DomainError(
        "FORBIDDEN",
        `your account (${wanted}) is in no group that has a role here (groups: ${groups.length ? groups.join(", ") : "none"}); ask an admin to add one of your groups to MILLRACE_OIDC_ROLE_MAP`,
      );
    }
    const signedIn = await this.deps.externalUsers.signIn({ issuer: this.settings.issuer, subject: idToken.sub, name: wanted, role, groups: groups.filter((g) => NAME.test(g)).slice(0, MAX_GROUPS) });
    const { name } = signedIn;
    if (signedIn.keptAdmin) {
      // refusing the login would lock the only admin out; demoting them would leave the engine without one
      this.deps.log.warn(
        { user: name, role: signedIn.role, mappedRole: role, issuer: this.settings.issuer, groups },
        `${name} stays admin although MILLRACE_OIDC_ROLE_MAP gives its groups the ${role} role: ${name} is the last admin of this engine; make another user admin first, then ${name} gets ${role} on the next sign-in`,
      );
    }
    this.deps.log.info({ user: name, role: signedIn.role, issuer: this.settings.issuer }, `${name} signed in through single sign-on as ${signedIn.role}`);
    return { name, role: signedIn.role, sessionToken: await this.deps.logins.openSession(name) };
  }

  /** The provider's metadata, read once; a failed read is tried again on the next login. */
  private config(): Promise<oidc.Configuration> {
    this.configuration ??= oidc
      .discovery(
        new URL(this.settings.issuer),
        this.settings.clientId,
        { redirect_uris: [this.redirectUrl] },
        this.settings.clientSecret === undefined ? oidc.None() : oidc.ClientSecretPost(this.settings.clientSecret),
        { execute: new URL(this.settings.issuer).protocol === "http:" ? [oidc.allowInsecureRequests] : [], timeout: 10 },
      )
      .catch((e: unknown) => {
        this.configuration = undefined;
        throw new DomainError("UNAVAILABLE", `the single sign-on provider ${this.settings.issuer} could not be reached: ${describe(e)}`);
      });
    return this.configuration;
  }
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? ` (${e.cause.message})` : "";
  return `${e.message}${cause}`;
}

function groupList(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === "string");
  return [];
}

/** A user name from the claims people recognise (preferred_username, email), fitted to the name rule; the subject as a last resort. */
function userNameFrom(claims: Record<string, unknown>): string {
  for (const claim of [claims.preferred_username, claims.email, claims.sub]) {
    if (typeof claim !== "string") continue;
    const name = claim
      .replace(/[^a-z0-9._-]+/gi, "-")
      .replace(/^[^a-z0-9]+/i, "")
      .slice(0, 64);
    if (NAME.test(name)) return name;
  }
  throw new DomainError("UNAUTHENTICATED", "the provider's ID token has no usable name (preferred_username, email or sub)");
}
