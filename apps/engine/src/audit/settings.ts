/** How much audit history is kept, and how the Kafka copy is bounded. */
export interface AuditSettings {
  /** rows older than this go (MILLRACE_AUDIT_RETENTION_DAYS, default 90); also the topic's retention.ms */
  retentionDays: number;
  /** at most this many rows are kept, the newest (MILLRACE_AUDIT_MAX_ROWS, default 1,000,000) */
  maxRows: number;
  /** how often the table is pruned */
  pruneIntervalMs: number;
  /** the Kafka topic every event is appended to */
  topic: string;
  /** events waiting for Kafka beyond this are dropped (logged once): an outage never blocks the API */
  queueCapacity: number;
  /** the topic's retention.bytes (per partition) */
  topicRetentionBytes: number;
}

export const DEFAULT_AUDIT_SETTINGS: AuditSettings = {
  retentionDays: 90,
  maxRows: 1_000_000,
  pruneIntervalMs: 60 * 60_000,
  topic: "mr-audit",
  queueCapacity: 10_000,
  topicRetentionBytes: 1024 * 1024 * 1024,
};

function positive(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number (got "${raw}")`);
  return n;
}

export function auditSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<AuditSettings> {
  const settings: Partial<AuditSettings> = {};
  const days = positive(env, "MILLRACE_AUDIT_RETENTION_DAYS");
  const rows = positive(env, "MILLRACE_AUDIT_MAX_ROWS");
  if (days !== undefined) settings.retentionDays = days;
  if (rows !== undefined) settings.maxRows = Math.floor(rows);
  return settings;
}
