import type { Logger } from "../log.js";
import type { KafkaClient, KafkaProducer, OutMessage } from "../kafka/index.js";
import { reason } from "./reason.js";
import type { AuditSettings } from "./settings.js";

/** An audit event as appended to the topic (JSON value, keyed by the actor). */
export interface AuditMessage {
  actor?: string;
  json: string;
}

const BATCH = 500;
const MAX_BACKOFF_MS = 30_000;

/**
 * Appends audit events to a Kafka topic, best-effort: `offer` only queues (bounded), one loop
 * sends in the background, so a slow or absent Kafka never delays or fails an API call. When the
 * queue is full events are dropped and that is logged once per outage, with the count on recovery.
 */
export class AuditKafkaSink {
  private readonly queue: AuditMessage[] = [];
  private producer?: KafkaProducer;
  private topicReady = false;
  private sending?: Promise<void>;
  private closed = false;
  private dropped = 0;
  private failing = false;
  private wake?: () => void;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly settings: Pick<AuditSettings, "topic" | "queueCapacity" | "retentionDays" | "topicRetentionBytes">,
    private readonly log: Logger,
  ) {}

  offer(m: AuditMessage): void {
    if (this.closed) return;
    if (this.queue.length >= this.settings.queueCapacity) {
      if (this.dropped++ === 0) this.log.warn({ topic: this.settings.topic, queued: this.queue.length }, `audit events are being dropped from the Kafka topic ${this.settings.topic}: ${this.queue.length} wait for Kafka already (they are still kept in Postgres)`);
      return;
    }
    this.queue.push(m);
    // the loop runs unawaited: should it ever fail, that is logged here rather than left as an unhandled rejection
    this.sending ??= this.drain()
      .catch((e: unknown) => this.log.error({ err: e, topic: this.settings.topic }, `the audit topic sender stopped (${reason(e)}); the next event starts it again`))
      .finally(() => (this.sending = undefined));
  }

  /** Sends what is queued for up to `timeoutMs`, then lets go of the producer. */
  async close(timeoutMs = 2_000): Promise<void> {
    const pending = this.sending;
    if (pending) await Promise.race([pending, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    this.closed = true;
    this.wake?.();
    await this.producer?.disconnect().catch(() => {});
  }

  private async drain(): Promise<void> {
    let backoff = 500;
    while (this.queue.length && !this.closed) {
      const batch = this.queue.slice(0, BATCH);
      try {
        await this.send(batch);
        this.queue.splice(0, batch.length);
        backoff = 500;
        if (this.failing || this.dropped) {
          this.log.info({ topic: this.settings.topic, dropped: this.dropped }, `audit events reach the Kafka topic ${this.settings.topic} again (${this.dropped} were dropped meanwhile)`);
          this.failing = false;
          this.dropped = 0;
        }
      } catch (e) {
        if (!this.failing) this.log.warn({ err: e, topic: this.settings.topic }, `audit events cannot be appended to the Kafka topic ${this.settings.topic} (${reason(e)}); retrying in the background, the API is not held up`);
        this.failing = true;
        await new Promise<void>((r) => {
          this.wake = r;
          setTimeout(r, backoff).unref();
        });
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  private async send(batch: AuditMessage[]): Promise<void> {
    const { topic } = this.settings;
    if (!this.topicReady) {
      await this.kafka.ensureTopics([
        {
          topic,
          partitions: 1,
          configs: {
            "cleanup.policy": "delete",
            "retention.ms": String(Math.round(this.settings.retentionDays * 86_400_000)),
            "retention.bytes": String(this.settings.topicRetentionBytes),
          },
        },
      ]);
      this.topicReady = true;
    }
    if (!this.producer) {
      const producer = this.kafka.producer();
      await producer.connect();
      this.producer = producer;
    }
    const messages: OutMessage[] = batch.map((m) => ({ key: m.actor ?? null, value: m.json }));
    await this.producer.send(topic, messages);
  }
}
