import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { connectionField, meta } from "../../schema.js";

/** A topic name as Kafka allows it. */
const TOPIC_CHARS = /^[A-Za-z0-9._-]+$/;
/** Regular expressions here are matched against names of at most 249 characters; the length bound keeps them small. */
const MAX_PATTERN = 200;

/** A topic name, or a regular expression between slashes matched against whole names. */
const topicOrPattern = z
  .string({ error: "a topic name or /regular expression/ is text" })
  .min(1, "the entry is empty")
  .max(MAX_PATTERN + 2, `an entry has at most ${MAX_PATTERN} characters`)
  .superRefine((s, ctx) => {
    if (s.length > 2 && s.startsWith("/") && s.endsWith("/")) {
      try {
        new RegExp(s.slice(1, -1));
      } catch (e) {
        ctx.addIssue({ code: "custom", message: `not a regular expression: ${e instanceof Error ? e.message : String(e)}` });
      }
      return;
    }
    if (s.length > 249) ctx.addIssue({ code: "custom", message: "a topic name has at most 249 characters" });
    else if (!TOPIC_CHARS.test(s)) ctx.addIssue({ code: "custom", message: "a topic name has letters, digits, '.', '_' or '-' (write a regular expression between slashes: /orders\\..*/)" });
  });

const connection = (description: string) => connectionField("kafka", description);

export const configSchema = z
  .strictObject({
    from: connection("The kafka connection of the cluster to copy from (absent: the engine's own cluster)."),
    to: connection("The kafka connection of the cluster to copy to (absent: the engine's own cluster)."),
    topics: z
      .array(topicOrPattern, { error: "topics is a list of topic names and /regular expressions/" })
      .min(1, "name at least one topic or /regular expression/")
      .max(100, "at most 100 entries")
      .meta(meta("Topics to copy: names, and /regular expressions/ matched against whole names (topics created later that match are copied too).", { placeholder: "orders, /payments\\..*/" })),
    prefix: z
      .string()
      .max(100, "a prefix has at most 100 characters")
      .regex(/^[A-Za-z0-9._-]*$/, "a prefix has letters, digits, '.', '_' or '-'")
      .default("")
      .meta(meta("Put before each source topic's name to name its copy (MirrorMaker 2 uses the source cluster's alias and a dot).", { placeholder: "east." })),
    syncGroupOffsets: z
      .boolean()
      .default(false)
      .meta(meta("Also move the offsets of consumer groups on the target cluster to where they are on the source (only groups with no member on the target, only forward).")),
    groups: z
      .array(topicOrPattern, { error: "groups is a list of group ids and /regular expressions/" })
      .max(100, "at most 100 entries")
      .optional()
      .meta(meta("Consumer groups whose offsets are translated (absent: every group reading a copied topic).", { placeholder: "billing, /reporting-.*/" })),
    sourceAlias: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,63}$/, "an alias has 1 to 63 letters, digits, '_' or '-'")
      .optional()
      .meta(meta("Names the source in the checkpoint topic `<alias>.checkpoints.internal` on the target (absent: the `from` connection's name, or `local`).", { placeholder: "east" })),
    checkpointIntervalSeconds: z
      .number()
      .int("a whole number of seconds")
      .min(1, "at least 1 second")
      .max(3600, "at most 3600 seconds")
      .default(10)
      .meta(meta("How often consumer-group offsets are translated and written as checkpoints.")),
    refreshTopicsSeconds: z
      .number()
      .int("a whole number of seconds")
      .min(1, "at least 1 second")
      .max(3600, "at most 3600 seconds")
      .default(10)
      .meta(meta("How often the source cluster is asked for new topics matching `topics` (and for more partitions).")),
  })
  .superRefine((c, ctx) => {
    if ((c.from ?? "") === (c.to ?? "") && (c.prefix ?? "") === "")
      ctx.addIssue({ code: "custom", path: ["prefix"], message: "from and to are the same cluster: give a prefix, or each topic would be copied onto itself" });
  });
export type KafkaMirrorConfig = z.infer<typeof configSchema>;

export const spec: ProcessorSpec<KafkaMirrorConfig> = {
  type: "kafka-mirror",
  version: 1,
  kind: "source",
  title: "Kafka mirror",
  description: "Copies topics from one Kafka cluster to another, byte for byte.",
  hasInput: false,
  configSchema,
  outputPorts: () => [],
  runner: "mirror",
  example: { topics: ["orders"], prefix: "copy.", syncGroupOffsets: false, checkpointIntervalSeconds: 10, refreshTopicsSeconds: 10 },
  docs: `Copies **topics** from the cluster of **from** to the cluster of **to** (kafka connections;
absent = the engine's own cluster), as MirrorMaker 2 does, but with the connections' own users:
it needs only READ (topics, its group) on the source and WRITE/CREATE on the target.

- each message keeps its key and value bytes (nothing is decoded or re-encoded), its headers,
  its timestamp and its partition number;
- the copy of topic \`t\` is **prefix** + \`t\`, created with the same number of partitions and
  the source's \`cleanup.policy\`, \`retention.ms\`, \`retention.bytes\`, \`max.message.bytes\` and
  compaction settings; partitions added at the source are added to the copy;
- entries between slashes are regular expressions on whole topic names: topics created later that
  match are picked up (checked every **refreshTopicsSeconds**). Internal topics (\`__…\`,
  \`….internal\`, Millrace's \`mr.…\`) are only copied when named exactly;
- where it stopped is the consumer group \`mr.<flow>.<node>\` on the source cluster, committed
  after the target acknowledged the copies: a restart or a move to another engine continues there
  (at least once: a crash can copy the last records twice);
- every **checkpointIntervalSeconds**, the committed offsets of the source's consumer groups
  (**groups**, default all) are translated and written to \`<sourceAlias>.checkpoints.internal\` on
  the target in MirrorMaker 2's checkpoint format, so \`RemoteClusterUtils.translateOffsets\` and
  other MirrorMaker 2 tooling can fail consumers over; with **syncGroupOffsets** the groups' offsets
  on the target are moved there too (only groups with no active member, only forward).

The node shows how many records each topic's copy is behind.`,
};
