import { resolve } from "node:path";
import type { DiskGuardSettings } from "./guard.js";

export const DISK_GUARD_DEFAULTS = { minFreeMb: 1024, minFreePercent: 2, resumeMarginMb: 256, checkSeconds: 5 } as const;

function nonNegative(env: NodeJS.ProcessEnv, name: string, fallback: number, unit: string, max = Infinity): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > max) throw new Error(`${name}=${raw} is not a number of ${unit} from 0${max === Infinity ? " up" : ` to ${max}`}`);
  return n;
}

/**
 * The disk guard's settings: the data directory (the embedded Postgres and the local broker of
 * `pnpm start` keep their files there) plus MILLRACE_DISK_WATCH (comma-separated directories, or
 * `none` to watch nothing), MILLRACE_DISK_MIN_FREE_MB, MILLRACE_DISK_MIN_FREE_PERCENT,
 * MILLRACE_DISK_RESUME_MARGIN_MB and MILLRACE_DISK_CHECK_S. A Postgres or broker on another machine
 * is not watched: its own monitoring has to cover its disk. Undefined: nothing to watch.
 */
export function diskGuardSettingsFromEnv(env: NodeJS.ProcessEnv, dataDir: string): DiskGuardSettings | undefined {
  const watch = env.MILLRACE_DISK_WATCH?.trim() ?? "";
  if (watch.toLowerCase() === "none") return undefined;
  const extra = watch
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => resolve(p));
  const minFreeMb = nonNegative(env, "MILLRACE_DISK_MIN_FREE_MB", DISK_GUARD_DEFAULTS.minFreeMb, "megabytes");
  const minFreePercent = nonNegative(env, "MILLRACE_DISK_MIN_FREE_PERCENT", DISK_GUARD_DEFAULTS.minFreePercent, "percent", 100);
  if (minFreeMb === 0 && minFreePercent === 0) return undefined;
  const checkSeconds = nonNegative(env, "MILLRACE_DISK_CHECK_S", DISK_GUARD_DEFAULTS.checkSeconds, "seconds");
  if (checkSeconds === 0) throw new Error(`MILLRACE_DISK_CHECK_S=${env.MILLRACE_DISK_CHECK_S} must be more than 0 seconds`);
  return {
    paths: [resolve(dataDir), ...extra],
    minFreeBytes: Math.round(minFreeMb * 1024 * 1024),
    minFreePercent,
    resumeMarginBytes: Math.round(nonNegative(env, "MILLRACE_DISK_RESUME_MARGIN_MB", DISK_GUARD_DEFAULTS.resumeMarginMb, "megabytes") * 1024 * 1024),
    intervalMs: Math.round(checkSeconds * 1000),
  };
}
