import type { MirrorRules } from "@millrace/processors/runtime";
import type { KafkaClient, OutMessage, Sender, TopicPartitionOffset } from "../../kafka/index.js";
import { errorMessage } from "../../log.js";
import { encodeCheckpointKey, encodeCheckpointValue } from "./checkpoint-format.js";
import type { OffsetIndex } from "./offset-index.js";
import type { MirroredTopic } from "./topic-sync.js";

export interface CheckpointWriterOptions {
  from: KafkaClient;
  to: KafkaClient;
  /** writes to the target cluster */
  sender: Sender;
  rules: MirrorRules;
  index: OffsetIndex;
  /** the mirror's own group on the source (never translated) */
  ownGroup: string;
  syncGroupOffsets: boolean;
  log(level: "info" | "warn", msg: string): void;
}

/**
 * Translates the source consumer groups' committed offsets in the partitions this engine copies
 * and writes them as MirrorMaker 2 checkpoints to `<alias>.checkpoints.internal` on the target
 * (compacted, one partition, as MirrorMaker 2 makes it); a checkpoint is written again only when
 * it changed. With `syncGroupOffsets`, also commits them for the same group on the target, as
 * MirrorMaker 2's sync.group.offsets does: only forward, and only while the group has no
 * member there (Kafka refuses otherwise; a consumer that failed over owns its offsets).
 */
export class CheckpointWriter {
  /** `group\0topic\0partition` → the last checkpoint written, `upstream:downstream` */
  private readonly written = new Map<string, string>();

  constructor(private readonly o: CheckpointWriterOptions) {}

  private prepared = false;

  /** Creates the checkpoint topic on the target (idempotent; tried again at each round until it worked). */
  async prepare(): Promise<void> {
    await this.o.to.ensureTopics([{ topic: this.o.rules.checkpointTopic, partitions: 1, configs: { "cleanup.policy": "compact" } }]);
    this.prepared = true;
  }

  async write(topics: readonly MirroredTopic[], assignment: Readonly<Record<string, number[]>>): Promise<void> {
    const mine = topics.filter((t) => assignment[t.source]?.length);
    if (!mine.length) return;
    if (!this.prepared) await this.prepare();
    const targetOf = new Map(mine.map((t) => [t.source, t.target]));
    const groups = (await this.o.from.listGroups()).filter((g) => g !== this.o.ownGroup && this.o.rules.selectsGroup(g));
    const messages: OutMessage[] = [];
    /** aligned with `messages` */
    const keys: string[] = [];
    const toSync = new Map<string, TopicPartitionOffset[]>();
    for (const group of groups) {
      const committed = await this.o.from.groupOffsets(group, [...targetOf.keys()]);
      for (const c of committed) {
        if (!assignment[c.topic]?.includes(c.partition)) continue;
        const upstream = Number(c.offset);
        const downstream = this.o.index.translate(c.topic, c.partition, upstream);
        if (downstream === undefined) continue;
        const topic = targetOf.get(c.topic)!;
        if (this.o.syncGroupOffsets) {
          let list = toSync.get(group);
          if (!list) toSync.set(group, (list = []));
          list.push({ topic, partition: c.partition, offset: String(downstream) });
        }
        const k = `${group}\0${topic}\0${c.partition}`;
        const v = `${upstream}:${downstream}`;
        if (this.written.get(k) === v) continue;
        this.written.set(k, v);
        keys.push(k);
        messages.push({ key: encodeCheckpointKey({ group, topic, partition: c.partition }), value: encodeCheckpointValue({ upstreamOffset: upstream, downstreamOffset: downstream, metadata: "" }), partition: 0 });
      }
    }
    if (messages.length) {
      try {
        await this.o.sender.sendBatch([{ topic: this.o.rules.checkpointTopic, messages }]);
      } catch (e) {
        // written again at the next round
        for (const k of keys) this.written.delete(k);
        throw new Error(`writing ${messages.length} checkpoint(s) to ${this.o.rules.checkpointTopic} failed: ${errorMessage(e)}`, { cause: e });
      }
    }
    for (const [group, offsets] of toSync) await this.syncGroup(group, offsets);
  }

  private async syncGroup(group: string, offsets: TopicPartitionOffset[]): Promise<void> {
    const theirs = new Map((await this.o.to.groupOffsets(group, [...new Set(offsets.map((o) => o.topic))])).map((o) => [`${o.topic}\0${o.partition}`, Number(o.offset)]));
    const forward = offsets.filter((o) => Number(o.offset) > (theirs.get(`${o.topic}\0${o.partition}`) ?? -1));
    if (!forward.length) return;
    try {
      await this.o.to.setGroupOffsets(group, forward);
    } catch (e) {
      // a group with members on the target commits its own offsets there
      this.o.log("info", `group "${group}" keeps its offsets on the target cluster (${errorMessage(e)})`);
    }
  }
}

