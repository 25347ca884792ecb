import { parseConfig } from "../../config.js";
import type { BatchProcessor, ProcessorImpl } from "../../sdk.js";
import { spec, type KafkaMirrorConfig } from "./spec.js";

/**
 * The engine's mirror runner copies the messages (processors never touch Kafka); this module
 * holds the pure part it uses: which names a list of names and /patterns/ selects, and the copy's name.
 */
export const impl: ProcessorImpl<KafkaMirrorConfig> = {
  type: spec.type,
  create(config): BatchProcessor {
    parseConfig(spec, config);
    return {
      process() {
        throw new Error("kafka-mirror copies messages in the engine's mirror runner; it has no record path");
      },
    };
  },
};

/** Topics no mirror copies unless named exactly: Kafka's, MirrorMaker's and Millrace's own. */
const INTERNAL = /^__|\.internal$|\.replica$|^mr\.|^mr-|^_schemas$/;

/** Names and whole-name regular expressions, as a kafka-mirror's `topics` and `groups` list them. */
export class NameSelection {
  private readonly names: ReadonlySet<string>;
  private readonly patterns: readonly RegExp[];

  constructor(entries: readonly string[]) {
    const names = new Set<string>();
    const patterns: RegExp[] = [];
    for (const e of entries) {
      if (e.length > 2 && e.startsWith("/") && e.endsWith("/")) patterns.push(new RegExp(`^(?:${e.slice(1, -1)})$`));
      else names.add(e);
    }
    this.names = names;
    this.patterns = patterns;
  }

  /** Named exactly, or matched by a pattern and not an internal topic (`internal` false: groups). */
  selects(name: string, internal = true): boolean {
    if (this.names.has(name)) return true;
    if (internal && INTERNAL.test(name)) return false;
    return this.patterns.some((p) => p.test(name));
  }
}

/** What a mirror's config decides without a cluster: the topics it copies and their copies' names. */
export interface MirrorRules {
  /** the source topics to copy, out of every topic the source cluster has */
  select(topics: readonly string[]): string[];
  target(sourceTopic: string): string;
  /** the consumer groups whose offsets are translated */
  selectsGroup(groupId: string): boolean;
  /** `<alias>.checkpoints.internal` */
  checkpointTopic: string;
}

export function mirrorRules(config: KafkaMirrorConfig): MirrorRules {
  const c = parseConfig(spec, config);
  const topics = new NameSelection(c.topics);
  const groups = c.groups === undefined ? undefined : new NameSelection(c.groups);
  const sameCluster = (c.from ?? "") === (c.to ?? "");
  const alias = c.sourceAlias ?? c.from ?? "local";
  return {
    select: (all) =>
      all.filter((t) => {
        // on one cluster the copies would match the patterns again: never copy a copy
        if (sameCluster && t.startsWith(c.prefix)) return false;
        return topics.selects(t) && (c.prefix + t).length <= 249;
      }),
    target: (t) => c.prefix + t,
    selectsGroup: (g) => (groups ? groups.selects(g, false) : true),
    checkpointTopic: `${alias}.checkpoints.internal`,
  };
}
