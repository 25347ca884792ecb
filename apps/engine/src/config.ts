import { availableParallelism, hostname, networkInterfaces } from "node:os";
import { parseNetworkRules, type NetworkPolicy } from "@millrace/processors";
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import type { IdentitySettings } from "./auth/index.js";
import type { AuditSettings } from "./audit/index.js";
import type { DiskGuardSettings } from "./disk-guard/index.js";
import type { ProvenanceBounds } from "./provenance/bounds.js";

export interface EngineConfig {
  host: string;
  port: number;
  databaseUrl: string;
  kafkaBrokers: string[];
  /** Directory of the built web app; not served when absent. */
  webDist?: string;
  /** Unique per process: names this engine in leases and logs. */
  engineId: string;
  /** Body limit, timeouts and accepted Host names; defaults when absent. */
  http?: Partial<HttpSettings>;
  /**
   * The key sealing sensitive parameter values (32 bytes, base64 or hex: MILLRACE_SECRET_KEY), or
   * else a key file (created 0600 when missing). With neither, a key that dies with the process.
   */
  secretKey?: string;
  secretKeyFile?: string;
  /** the data directory (MILLRACE_DATA): stateful nodes keep their tables under its `state/`; absent: flows with tables cannot start here */
  stateDir?: string;
  /** The first admin's password, session expiry, login rate limit; defaults when absent. */
  identity?: Partial<IdentitySettings>;
  /** How long the audit log keeps events (days, row cap); defaults when absent. */
  audit?: Partial<AuditSettings>;
  /** Where connectors (http-request) may connect; absent: anywhere. */
  network?: NetworkPolicy;
  /** Processes running the flows' consumer stages, this one included (MILLRACE_WORKERS; absent: 1, this process alone). */
  workers?: number;
  /** Free-space floors of the data directories (MILLRACE_DISK_*): below one, sources pause. Absent: no guard. */
  diskGuard?: DiskGuardSettings;
  /** How much lineage is kept (MILLRACE_PROVENANCE_MAX_MB, _RETENTION_HOURS); absent: the defaults of an external database. */
  provenance?: ProvenanceBounds;
}

/**
 * The only directory file-source and file-sink may read and write under: MILLRACE_FILES_DIR, else
 * `files/` in the data directory (MILLRACE_DATA); undefined when there is neither (file nodes cannot start).
 */
export function filesDirFromEnv(env: NodeJS.ProcessEnv, dataDir: string | undefined): string | undefined {
  const configured = env.MILLRACE_FILES_DIR?.trim();
  if (configured) return resolve(configured);
  return dataDir ? join(dataDir, "files") : undefined;
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

/**
 * MILLRACE_WORKERS: how many processes run the flows' consumer stages, this one included (a whole
 * number from 1 to 64, or `auto` for one per core). Unset: 1, the engine process alone.
 */
export function workersFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.MILLRACE_WORKERS?.trim();
  if (raw === undefined || raw === "") return 1;
  if (raw.toLowerCase() === "auto") return Math.min(64, availableParallelism());
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`MILLRACE_WORKERS=${raw} is neither a whole number from 1 to 64 nor "auto" (one worker per core)`);
  return n;
}

/**
 * MILLRACE_USER_CODE_WORKERS: how many processes may evaluate expressions and javascript at once
 * (a whole number from 1 to 64). Unset: min(4, cores).
 */
export function userCodeWorkersFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.MILLRACE_USER_CODE_WORKERS?.trim();
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`MILLRACE_USER_CODE_WORKERS=${raw} is not a whole number from 1 to 64`);
  return n;
}

/** What the flows' own topics keep, per topic, before Kafka deletes their oldest records (minutes, megabytes over all partitions). */
export interface TopicRetentionSettings {
  /** edge topics and the stages' replay topics: how far back taps and replay reach */
  edge: { minutes: number; mb: number };
  /** a flow's dead-letter topic */
  deadLetter: { minutes: number; mb: number };
}

/**
 * Kafka deletes by age and size, not by whether a record was read: a bound on an edge topic also
 * deletes records its reader has not processed yet (a stopped flow, a sink down for a while, a
 * backlog of large records before back pressure holds the source). So by default an edge topic
 * has no size bound and keeps a day (what the local broker kept before topics had their own
 * bounds); a smaller bound is the operator's choice, per engine or per edge, and the disk guard
 * protects the disk meanwhile. Dead letters wait for a person to look at them, and there are few:
 * a week, and 1 GB on their one partition.
 */
export const DEFAULT_TOPIC_RETENTION: TopicRetentionSettings = {
  edge: { minutes: 24 * 60, mb: 0 },
  deadLetter: { minutes: 7 * 24 * 60, mb: 1024 },
};

/** A setting that is a whole number > 0, or undefined when unset. */
export function positiveIntegerFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number (got "${raw}")`);
  return n;
}

function wholeNumberFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, unit: string): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}=${raw} is not a whole number of ${unit} (0 for no bound)`);
  return n;
}

/**
 * MILLRACE_EDGE_READ_WINDOW_MINUTES: how long records every reader of an edge topic has committed
 * stay for taps and replay before the engine deletes them (default 15).
 */
export function edgeReadWindowFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return wholeNumberFromEnv(env, "MILLRACE_EDGE_READ_WINDOW_MINUTES", 15, "minutes");
}

/** MILLRACE_EDGE_RETENTION_MINUTES / _MB and MILLRACE_DEAD_LETTER_RETENTION_MINUTES / _MB; an edge's own settings override the edge default. */
export function topicRetentionFromEnv(env: NodeJS.ProcessEnv = process.env): TopicRetentionSettings {
  const d = DEFAULT_TOPIC_RETENTION;
  return {
    edge: {
      minutes: wholeNumberFromEnv(env, "MILLRACE_EDGE_RETENTION_MINUTES", d.edge.minutes, "minutes"),
      mb: wholeNumberFromEnv(env, "MILLRACE_EDGE_RETENTION_MB", d.edge.mb, "megabytes"),
    },
    deadLetter: {
      minutes: wholeNumberFromEnv(env, "MILLRACE_DEAD_LETTER_RETENTION_MINUTES", d.deadLetter.minutes, "minutes"),
      mb: wholeNumberFromEnv(env, "MILLRACE_DEAD_LETTER_RETENTION_MB", d.deadLetter.mb, "megabytes"),
    },
  };
}

/** Limits of the engine's HTTP surface; every field has a default (see DEFAULT_HTTP_SETTINGS). */
export interface HttpSettings {
  /** Largest request body /trpc accepts (413 beyond it). */
  maxBodyBytes: number;
  /** Time to receive a whole request, headers and body (slow senders are cut off). */
  requestTimeoutMs: number;
  /** Time to receive the headers. */
  headersTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutMs: number;
  /** A non-streaming answer that sends nothing for this long is abandoned (event streams are exempt). */
  responseIdleTimeoutMs: number;
  /** Host names (besides IP addresses) the engine answers to; "*" accepts any. */
  allowedHosts: string[];
}

export const DEFAULT_HTTP_SETTINGS: Omit<HttpSettings, "allowedHosts"> = {
  // a 1,000-node flow imported is about 0.7 MB of request (measured): room for flows with large configs
  maxBodyBytes: 8 * 1024 * 1024,
  requestTimeoutMs: 60_000,
  headersTimeoutMs: 20_000,
  keepAliveTimeoutMs: 5_000,
  responseIdleTimeoutMs: 120_000,
};

function positiveNumberFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, unit: string): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${raw} is not a positive number of ${unit}`);
  return n;
}

/** MILLRACE_MAX_BODY_MB, MILLRACE_REQUEST_TIMEOUT_S and MILLRACE_ALLOWED_HOSTS (comma-separated names, or *). */
export function httpSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<HttpSettings> {
  const settings: Partial<HttpSettings> = {
    maxBodyBytes: Math.round(positiveNumberFromEnv(env, "MILLRACE_MAX_BODY_MB", DEFAULT_HTTP_SETTINGS.maxBodyBytes / 1024 / 1024, "megabytes") * 1024 * 1024),
    requestTimeoutMs: Math.round(positiveNumberFromEnv(env, "MILLRACE_REQUEST_TIMEOUT_S", DEFAULT_HTTP_SETTINGS.requestTimeoutMs / 1000, "seconds") * 1000),
  };
  const hosts = env.MILLRACE_ALLOWED_HOSTS;
  if (hosts !== undefined && hosts.trim() !== "") settings.allowedHosts = hosts.split(",").map((h) => h.trim()).filter(Boolean);
  return settings;
}

/** What MILLRACE_HTTP_DENY means when unset: link-local networks (cloud metadata) and the engine itself. */
export const DEFAULT_HTTP_DENY = "169.254.0.0/16,fe80::/10,self";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "::1"]);

/** The entries that reach the engine's own HTTP server listening on `host`:`port` (none for an ephemeral port). */
function selfEntries(host: string, port: number): string[] {
  if (port === 0) return [];
  const anyInterface = host === "" || host === "0.0.0.0" || host === "::";
  const addresses = anyInterface || LOOPBACK_HOSTS.has(host) ? ["localhost", "127.0.0.0/8", "::1", "0.0.0.0", "::"] : [host];
  if (anyInterface) for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) addresses.push(i.address);
  return addresses.map((a) => (a.includes(":") ? `[${a}]:${port}` : `${a}:${port}`));
}

function networkEntries(env: NodeJS.ProcessEnv, name: string, fallback: string, host: string, port: number): string[] {
  const raw = env[name] === undefined ? fallback : env[name]!;
  if (raw.trim().toLowerCase() === "none") return [];
  return raw
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)
    .flatMap((e) => (e.toLowerCase() === "self" ? selfEntries(host, port) : [e]));
}

/**
 * MILLRACE_HTTP_DENY and MILLRACE_HTTP_ALLOW: comma-separated host names, addresses or CIDR
 * networks, each optionally with :port; `self` is the engine's own listen address and port, `none`
 * an empty list. Connectors never reach a denied destination; with an allow list, only listed ones.
 */
export function networkPolicyFromEnv(env: NodeJS.ProcessEnv, host: string, port: number): NetworkPolicy {
  const allow = networkEntries(env, "MILLRACE_HTTP_ALLOW", "", host, port);
  return {
    deny: parseNetworkRules(networkEntries(env, "MILLRACE_HTTP_DENY", DEFAULT_HTTP_DENY, host, port), "MILLRACE_HTTP_DENY"),
    allow: allow.length > 0 ? parseNetworkRules(allow, "MILLRACE_HTTP_ALLOW") : undefined,
  };
}
