import { oidcSettingsFromEnv, type OidcSettings } from "./oidc/settings.js";

/** How users sign in; every field but the admin password has a default (DEFAULT_IDENTITY_SETTINGS). */
export interface IdentitySettings {
  /** The first admin's password on a first start (MILLRACE_ADMIN_PASSWORD); generated and printed once when absent. */
  adminPassword?: string;
  /** A browser session ends after this long without a request (MILLRACE_SESSION_IDLE_MINUTES). */
  sessionIdleMinutes: number;
  /** ...and this long after login whatever happens (MILLRACE_SESSION_MAX_HOURS). */
  sessionMaxHours: number;
  /** Failed logins allowed per user name and per address within a minute; then 429 until it passes. */
  loginFailuresPerMinute: number;
  /** Single sign-on through an OpenID Connect provider, when configured (MILLRACE_OIDC_*). */
  oidc?: OidcSettings;
}

export const DEFAULT_IDENTITY_SETTINGS: IdentitySettings = {
  sessionIdleMinutes: 480,
  sessionMaxHours: 168,
  loginFailuresPerMinute: 5,
};

function positiveIntegerFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, unit: string): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}=${raw} is not a positive whole number of ${unit}`);
  return n;
}

/** MILLRACE_ADMIN_PASSWORD, MILLRACE_SESSION_IDLE_MINUTES, MILLRACE_SESSION_MAX_HOURS and MILLRACE_OIDC_*. */
export function identitySettingsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<IdentitySettings> {
  const password = env.MILLRACE_ADMIN_PASSWORD;
  const oidc = oidcSettingsFromEnv(env);
  return {
    ...(oidc ? { oidc } : {}),
    ...(password ? { adminPassword: password } : {}),
    sessionIdleMinutes: positiveIntegerFromEnv(env, "MILLRACE_SESSION_IDLE_MINUTES", DEFAULT_IDENTITY_SETTINGS.sessionIdleMinutes, "minutes"),
    sessionMaxHours: positiveIntegerFromEnv(env, "MILLRACE_SESSION_MAX_HOURS", DEFAULT_IDENTITY_SETTINGS.sessionMaxHours, "hours"),
  };
}
