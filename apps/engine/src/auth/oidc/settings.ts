import { parseRoleMap, type RoleMap } from "./role-map.js";

/** Single sign-on through an OpenID Connect provider (all from MILLRACE_OIDC_*). */
export interface OidcSettings {
  /** the provider's issuer URL; its discovery document is read from <issuer>/.well-known/openid-configuration */
  issuer: string;
  clientId: string;
  /** a secret: never logged; absent for a public client (PKCE alone) */
  clientSecret?: string;
  /** where the provider sends the browser back; default <engine url>/auth/oidc/callback */
  redirectUrl?: string;
  /** the claim (ID token or userinfo) listing the user's groups */
  groupsClaim: string;
  roleMap: RoleMap;
  /** scopes asked for; some providers release the groups claim only for a `groups` scope */
  scopes: string;
}

export const DEFAULT_OIDC_SCOPES = "openid profile email";

const VARIABLES = ["MILLRACE_OIDC_ISSUER", "MILLRACE_OIDC_CLIENT_ID", "MILLRACE_OIDC_ROLE_MAP"] as const;

/** The OIDC settings when MILLRACE_OIDC_ISSUER is set; a start with half of them set fails, naming what is missing. */
export function oidcSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): OidcSettings | undefined {
  const value = (name: string) => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  if (!value("MILLRACE_OIDC_ISSUER") && !value("MILLRACE_OIDC_CLIENT_ID")) return undefined;
  const missing = VARIABLES.filter((v) => !value(v));
  if (missing.length) throw new Error(`single sign-on needs ${missing.join(", ")} as well (set all of ${VARIABLES.join(", ")}, or none)`);
  const issuer = value("MILLRACE_OIDC_ISSUER")!;
  checkUrl("MILLRACE_OIDC_ISSUER", issuer);
  const redirectUrl = value("MILLRACE_OIDC_REDIRECT_URL");
  if (redirectUrl) checkUrl("MILLRACE_OIDC_REDIRECT_URL", redirectUrl);
  return {
    issuer,
    clientId: value("MILLRACE_OIDC_CLIENT_ID")!,
    ...(value("MILLRACE_OIDC_CLIENT_SECRET") ? { clientSecret: value("MILLRACE_OIDC_CLIENT_SECRET") } : {}),
    ...(redirectUrl ? { redirectUrl } : {}),
    groupsClaim: value("MILLRACE_OIDC_GROUPS_CLAIM") ?? "groups",
    roleMap: parseRoleMap(value("MILLRACE_OIDC_ROLE_MAP")!),
    scopes: value("MILLRACE_OIDC_SCOPES") ?? DEFAULT_OIDC_SCOPES,
  };
}

function checkUrl(name: string, url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`${name}=${url} is not a URL`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") throw new Error(`${name}=${url} is not an http(s) URL`);
}
