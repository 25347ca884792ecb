import type { ProvenancePartition, ProvenanceRepository } from "../db/provenance.js";
import { errorMessage, type Logger } from "../log.js";

/** How much lineage is kept: whichever bound is reached first decides. */
export interface ProvenanceBounds {
  /** table, TOAST and indexes, all partitions together */
  maxBytes: number;
  /** rows older than this go (with the partition holding them) */
  retentionHours: number;
}

const MB = 1024 * 1024;
/** A laptop survives a day of an endless flow with the embedded database; an external server has room for more. */
export const PROVENANCE_MAX_MB_EMBEDDED = 1024;
export const PROVENANCE_MAX_MB_EXTERNAL = 10 * 1024;

/**
 * MILLRACE_PROVENANCE_MAX_MB (default 1 GB with the embedded database, 10 GB with DATABASE_URL)
 * and MILLRACE_PROVENANCE_RETENTION_HOURS (default 24). A value that is not a positive number
 * stops the engine at start with the variable's name, rather than leaving provenance unbounded.
 */
export function provenanceBoundsFromEnv(env: NodeJS.ProcessEnv, embeddedDatabase: boolean): ProvenanceBounds {
  const positive = (name: string, fallback: number): number => {
    const text = env[name];
    if (text === undefined || text.trim() === "") return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${text}"`);
    return n;
  };
  return {
    maxBytes: Math.round(positive("MILLRACE_PROVENANCE_MAX_MB", embeddedDatabase ? PROVENANCE_MAX_MB_EMBEDDED : PROVENANCE_MAX_MB_EXTERNAL) * MB),
    retentionHours: positive("MILLRACE_PROVENANCE_RETENTION_HOURS", 24),
  };
}

/**
 * What to do with the partitions (oldest first; rows go to the last): start a new one when the
 * current one holds a tenth of the size bound (so dropping the oldest frees at most a tenth) or a
 * twelfth of the retention (so rows outlive the retention by at most that), and drop, oldest
 * first, those whose every row is older than the retention, then those beyond the size bound.
 * The partition rows go to is never dropped.
 */
export function decidePartitions(parts: readonly ProvenancePartition[], now: number, b: ProvenanceBounds): { roll: boolean; drop: number[] } {
  const current = parts.at(-1);
  if (!current) return { roll: false, drop: [] };
  const retentionMs = b.retentionHours * 3_600_000;
  const roll = current.bytes >= rollBytes(b) || (current.hasRows && now - current.createdAt >= retentionMs / 12);
  const drop: number[] = [];
  let total = 0;
  for (const p of parts) total += p.bytes;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i]!;
    // its newest row came before the next partition started
    const stoppedAt = parts[i + 1]!.createdAt;
    if (now - stoppedAt > retentionMs || total > b.maxBytes) {
      drop.push(p.part);
      total -= p.bytes;
    } else break;
  }
  return { roll, drop };
}

function rollBytes(b: ProvenanceBounds): number {
  return Math.max(MB, b.maxBytes / 10);
}

export interface ProvenanceStorageStats {
  maxBytes: number;
  bytes: number;
  partitions: number;
  droppedPartitions: number;
  droppedBytes: number;
}

/**
 * Keeps provenance within its bounds: every few seconds one engine (whichever gets the lock)
 * starts a new partition or drops old ones (see decidePartitions). Every engine reads the sizes,
 * for /metrics.
 */
export class ProvenanceJanitor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failing = false;
  readonly stats: ProvenanceStorageStats;

  constructor(
    private readonly rows: ProvenanceRepository,
    private readonly bounds: ProvenanceBounds,
    private readonly log: Logger,
    private readonly intervalMs = 5000,
  ) {
    this.stats = { maxBytes: bounds.maxBytes, bytes: 0, partitions: 0, droppedPartitions: 0, droppedBytes: 0 };
  }

  start(): void {
    void this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs);
    this.timer.unref();
  }

  /** One round (single flight); resolves when done, never rejects. */
  runOnce(): Promise<void> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<void> {
    try {
      const r = await this.rows.maintainPartitions((parts, now) => decidePartitions(parts, now, this.bounds));
      const parts = r.ran ? r.parts : await this.rows.partitions();
      const dropped = new Set(r.dropped.map((p) => p.part));
      const kept = parts.filter((p) => !dropped.has(p.part));
      this.stats.bytes = kept.reduce((n, p) => n + p.bytes, 0);
      this.stats.partitions = kept.length + (r.rolledTo !== undefined ? 1 : 0);
      if (r.dropped.length) {
        const bytes = r.dropped.reduce((n, p) => n + p.bytes, 0);
        this.stats.droppedPartitions += r.dropped.length;
        this.stats.droppedBytes += bytes;
        this.log.info(
          { partitions: r.dropped.map((p) => p.part), bytes },
          `provenance: dropped the oldest lineage (${r.dropped.length} partition(s), ${(bytes / MB).toFixed(1)} MB) to stay within ${(this.bounds.maxBytes / MB).toFixed(0)} MB and ${this.bounds.retentionHours} h (MILLRACE_PROVENANCE_MAX_MB, MILLRACE_PROVENANCE_RETENTION_HOURS)`,
        );
      }
      if (this.failing) this.log.info("provenance bounds: partitions are maintained again");
      this.failing = false;
    } catch (e) {
      if (!this.failing)
        this.log.warn(
          { err: e },
          `provenance bounds: could not roll or drop provenance partitions: ${errorMessage(e)}; retried every ${this.intervalMs / 1000} s (not logged again until it works); until then provenance may grow past its bounds`,
        );
      this.failing = true;
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
