import type { KafkaClient } from "../kafka/index.js";
import { errorMessage, type Logger } from "../log.js";
import type { ExecutionPlan } from "../planner/index.js";

/**
 * Deletes what every reader of a flow's own topic has already committed, once it is older than
 * the read window (kept for taps and replay), as Kafka Streams purges its repartition topics: the
 * topics stay small while the flow keeps up, and a record no reader has committed is never
 * deleted by this (only by the topic's own retention, the ceiling for a reader that stopped).
 */
export class EdgePurger {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** topics whose last purge failed: said once, until one succeeds */
  private readonly failing = new Set<string>();

  constructor(
    private readonly kafka: Pick<KafkaClient, "groupLag" | "offsetsAtTime" | "deleteRecordsBefore">,
    private readonly plans: () => ExecutionPlan[],
    private readonly log: Logger,
    private readonly readWindowMinutes: number,
    private readonly everyMs = 60_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.purgeOnce(), this.everyMs);
    this.timer.unref();
  }

  /** One pass over every running plan's edge and replay topics; at most one pass at a time. */
  purgeOnce(now = Date.now()): Promise<void> {
    this.running ??= this.pass(now).finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(now: number): Promise<void> {
    for (const plan of this.plans()) {
      for (const [topic, groups] of ownTopicReaders(plan)) {
        try {
          const upTo = await this.purgeable(topic, groups, now - this.readWindowMinutes * 60_000);
          if (upTo.length) await this.kafka.deleteRecordsBefore(topic, upTo);
          this.failing.delete(topic);
        } catch (e) {
          // a topic being deleted, a broker restarting: the next pass tries again; say it once
          if (!this.failing.has(topic)) this.log.warn({ err: e, topic }, `deleting the read records of ${topic} failed: ${errorMessage(e)}; retried every ${this.everyMs / 1000} s (nothing unread is deleted either way)`);
          this.failing.add(topic);
        }
      }
    }
  }

  /** Per partition: below every reader's committed offset and below the window's first offset; nothing for a partition a reader has not committed. */
  private async purgeable(topic: string, groups: string[], windowStartMs: number): Promise<{ partition: number; offset: number }[]> {
    const lags = await Promise.all(groups.map((g) => this.kafka.groupLag(g, [topic])));
    const atWindow = new Map((await this.kafka.offsetsAtTime(topic, windowStartMs)).map((p) => [p.partition, p.offset]));
    const out: { partition: number; offset: number }[] = [];
    for (const p of lags[0]?.partitions ?? []) {
      let upTo = atWindow.get(p.partition) ?? -1;
      for (const lag of lags) {
        const committed = lag.partitions.find((x) => x.partition === p.partition)?.committed;
        upTo = committed === null || committed === undefined ? -1 : Math.min(upTo, committed);
        if (upTo < 0) break;
      }
      if (upTo > p.low) out.push({ partition: p.partition, offset: upTo });
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}

/** The flow's own topics that only its stages read (edge and replay topics), with the groups reading each. */
export function ownTopicReaders(plan: ExecutionPlan): Map<string, string[]> {
  const own = new Set(plan.topics.filter((t) => t.role === "edge" || t.role === "replay").map((t) => t.name));
  const readers = new Map<string, string[]>();
  for (const s of plan.stages) {
    for (const topic of s.inputs) {
      if (!own.has(topic)) continue;
      const groups = readers.get(topic) ?? [];
      if (!groups.includes(s.groupId)) groups.push(s.groupId);
      readers.set(topic, groups);
    }
  }
  return readers;
}
