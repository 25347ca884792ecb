import type { MirrorRules } from "@millrace/processors/runtime";
import { authorizationFailure, type KafkaClient } from "../../kafka/index.js";

/** The topic configs a copy takes over from its source (where the source overrides the broker default). */
const COPIED_CONFIGS = ["cleanup.policy", "retention.ms", "retention.bytes", "max.message.bytes", "min.compaction.lag.ms", "max.compaction.lag.ms", "delete.retention.ms", "min.cleanable.dirty.ratio", "compression.type"];

/** One source topic being copied. */
export interface MirroredTopic {
  source: string;
  target: string;
  partitions: number;
}

/**
 * Finds the source topics a mirror copies and makes their copies on the target: same partition
 * count (partitions added at the source are added to the copy), the source's retention and
 * compaction settings, and CreateTime timestamps so every copy keeps its source timestamp
 * whatever the target broker's default is.
 */
export class TopicSync {
  /** what each copied topic looked like at the last sync */
  private readonly known = new Map<string, MirroredTopic>();

  constructor(
    private readonly from: KafkaClient,
    private readonly to: KafkaClient,
    private readonly rules: MirrorRules,
    /** told when a copy is made without its source's configs (the source's user may not read them) */
    private readonly configsRefused: (topic: string, refusal: string) => void,
  ) {}

  topics(): MirroredTopic[] {
    return [...this.known.values()];
  }

  /**
   * Asks the source for its topics, creates or grows the copies of the selected ones, and says
   * whether anything changed since the last call (a topic or partitions added).
   */
  async sync(): Promise<boolean> {
    const selected = this.rules.select(await this.from.listTopics());
    const counts = await this.from.partitionCounts(selected);
    const changed: MirroredTopic[] = [];
    for (const source of selected) {
      const partitions = counts.get(source);
      if (partitions === undefined) continue; // deleted meanwhile
      const before = this.known.get(source);
      if (before && before.partitions === partitions) continue;
      changed.push({ source, target: this.rules.target(source), partitions });
    }
    if (!changed.length) return false;
    const specs = await Promise.all(
      changed.map(async (t) => {
        const own = await this.from.topicConfigs(t.source).catch((e: unknown) => {
          const refusal = authorizationFailure(e);
          if (!refusal) throw e;
          this.configsRefused(t.source, refusal);
          return {} as Record<string, string>;
        });
        const configs: Record<string, string> = { "message.timestamp.type": "CreateTime" };
        for (const k of COPIED_CONFIGS) if (own[k] !== undefined) configs[k] = own[k];
        return { topic: t.target, partitions: t.partitions, configs };
      }),
    );
    await this.to.ensureTopics(specs);
    for (const t of changed) this.known.set(t.source, t);
    return true;
  }
}
