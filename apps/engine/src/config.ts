import { hostname } from "node:os";
import { randomBytes } from "node:crypto";

export interface EngineConfig {
  host: string;
  port: number;
  databaseUrl: string;
  kafkaBrokers: string[];
  /** Directory of the built web app; not served when absent. */
  webDist?: string;
  /** Unique per process: names this engine in leases and logs. */
  engineId: string;
  /**
   * The key sealing sensitive parameter values (32 bytes, base64 or hex: MILLRACE_SECRET_KEY), or
   * else a key file (created 0600 when missing). With neither, a key that dies with the process.
   */
  secretKey?: string;
  secretKeyFile?: string;
}

export function engineId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
}

/** Reads a positive TCP port from the environment, failing with the variable's name when it is not one. */
export function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name}=${raw} is not a TCP port (0-65535)`);
  return n;
}
