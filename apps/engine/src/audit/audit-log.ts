import type { AuditEventInput, AuditRepository } from "../db/index.js";
import type { KafkaClient } from "../kafka/index.js";
import type { Logger } from "../log.js";
import { scrubDetail } from "./detail.js";
import { AuditKafkaSink } from "./kafka-sink.js";
import { reason } from "./reason.js";
import { DEFAULT_AUDIT_SETTINGS, type AuditSettings } from "./settings.js";

/** One event before it is stamped and stored: `detail` is scrubbed here, whatever the caller passed. */
export type AuditEvent = Omit<AuditEventInput, "detail"> & { detail?: Record<string, unknown> };

/**
 * The audit log of one engine: every event goes to Postgres (awaited, so a caller reading the log
 * right after sees it) and to the Kafka topic (queued, best-effort). Recording never throws: a
 * failing audit write is logged, the audited call keeps its own outcome.
 */
export class AuditLog {
  readonly settings: AuditSettings;
  private readonly sink?: AuditKafkaSink;
  private pruneTimer?: NodeJS.Timeout;

  constructor(
    private readonly rows: AuditRepository,
    kafka: KafkaClient | undefined,
    private readonly log: Logger,
    settings: Partial<AuditSettings> = {},
  ) {
    this.settings = { ...DEFAULT_AUDIT_SETTINGS, ...settings };
    if (kafka) this.sink = new AuditKafkaSink(kafka, this.settings, log);
  }

  async record(event: AuditEvent): Promise<void> {
    // everything inside the guard: a detail that cannot be copied or serialised fails this event only, never the audited call
    try {
      const row: AuditEventInput = { ...event, detail: scrubDetail(event.detail) };
      this.sink?.offer({ actor: row.actor, json: JSON.stringify({ ...row, at: new Date().toISOString() }) });
      await this.rows.append(row);
    } catch (e) {
      this.log.error({ err: e, action: event.action, actor: event.actor }, `could not store the audit event ${event.action} by ${event.actor ?? "(nobody)"} (${reason(e)})`);
    }
  }

  /** Prunes now and then every `pruneIntervalMs` (each engine does; the DELETE is idempotent). */
  startPruning(): void {
    const prune = () =>
      this.rows.prune(this.settings).then(
        (n) => n && this.log.info({ pruned: n }, `pruned ${n} audit event(s) past ${this.settings.retentionDays} days or beyond ${this.settings.maxRows} rows`),
        (e: unknown) => this.log.warn({ err: e }, `could not prune the audit log (${reason(e)}); retried in ${this.settings.pruneIntervalMs / 60_000} min`),
      );
    void prune();
    this.pruneTimer = setInterval(prune, this.settings.pruneIntervalMs).unref();
  }

  async close(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.sink?.close();
  }
}
