import { join } from "node:path";
import { positiveIntegerFromEnv as positiveInteger } from "../config.js";

/** Bounds and places of table snapshots (environment settings of the engine). */
export interface SnapshotSettings {
  /** the only directory file snapshots are written under (MILLRACE_SNAPSHOT_DIR, default `<MILLRACE_DATA>/snapshots`) */
  directory: string;
  /** snapshots kept per node, older ones deleted (MILLRACE_SNAPSHOT_KEEP, default 3) */
  keep: number;
  /** a snapshot whose rows take more is refused (MILLRACE_SNAPSHOT_MAX_MB, default 512) */
  maxBytes: number;
  /** a snapshot whose changelog takes longer to read is given up (MILLRACE_SNAPSHOT_MAX_SECONDS, default 1800) */
  maxMs: number;
  /** how often an engine looks for nodes whose `snapshotEvery` is due (MILLRACE_SNAPSHOT_CHECK_SECONDS, default 30) */
  checkMs: number;
}

export const DEFAULT_SNAPSHOT_KEEP = 3;
export const DEFAULT_SNAPSHOT_MAX_MB = 512;
export const DEFAULT_SNAPSHOT_MAX_SECONDS = 1800;
const DEFAULT_CHECK_SECONDS = 30;

export function snapshotSettingsFromEnv(dataDir: string, env: NodeJS.ProcessEnv = process.env): SnapshotSettings {
  return {
    directory: env.MILLRACE_SNAPSHOT_DIR || join(dataDir, "snapshots"),
    keep: positiveInteger(env, "MILLRACE_SNAPSHOT_KEEP") ?? DEFAULT_SNAPSHOT_KEEP,
    maxBytes: (positiveInteger(env, "MILLRACE_SNAPSHOT_MAX_MB") ?? DEFAULT_SNAPSHOT_MAX_MB) * 1024 * 1024,
    maxMs: (positiveInteger(env, "MILLRACE_SNAPSHOT_MAX_SECONDS") ?? DEFAULT_SNAPSHOT_MAX_SECONDS) * 1000,
    checkMs: (positiveInteger(env, "MILLRACE_SNAPSHOT_CHECK_SECONDS") ?? DEFAULT_CHECK_SECONDS) * 1000,
  };
}
