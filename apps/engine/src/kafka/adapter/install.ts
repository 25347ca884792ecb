// Everything Millrace changes in kafkajs, installed by one idempotent call. kafkajs captures some
// of its internals when its modules load, so the call must come before kafkajs's main module is
// loaded: ../client.ts imports ./installed.ts ahead of "kafkajs" for that.
import type { KafkaAdaptation, KafkaClientInfo } from "../types.js";
import { abortedTransactionLeak, FILTER_ABORTED_MESSAGES } from "./aborted-transactions.js";
import { fastBatchClass } from "./consumer-batch.js";
import { fastRecordBatchDecoder, type KafkajsDecoder } from "./fetch-decoder.js";
import { installedKafkajsVersion, kafkajsInternal, replaceExport, resolveKafkajs } from "./kafkajs-internals.js";
import { groupMessagesPerPartition } from "./partition-grouping.js";
import { installPartitionsRevokedHook } from "./partitions-revoked.js";
import { CREATE_REQUEST, createRequest, PRODUCE_V3_REQUEST, produceRequestV3 } from "./produce-request.js";
import { createSendMessages } from "./send-messages.js";

/**
 * The kafkajs release this adapter was written and byte-checked against. Another version may
 * have moved or changed the internals replaced here: see ./install.test.ts.
 */
export const KAFKAJS_VERSION = "2.2.4";

const RECORD_BATCH_DECODER = "src/protocol/recordBatch/v0/decoder.js";
const CONSUMER_BATCH = "src/consumer/batch.js";
const DEFAULT_SOCKET_FACTORY = "src/network/socketFactory.js";

/** kafkajs's own RecordBatch decoder (for tests and the fallback) */
export const originalRecordBatchDecoder = kafkajsInternal<(d: KafkajsDecoder) => Promise<unknown>>(RECORD_BATCH_DECODER);

/** kafkajs's RecordBatch decoder with ./fetch-decoder.ts in front (same objects, a fraction of the CPU) */
export const recordBatchDecoder = fastRecordBatchDecoder(originalRecordBatchDecoder);

/** kafkajs's own consumer Batch class (for tests) */
export const OriginalConsumerBatch = kafkajsInternal<ReturnType<typeof fastBatchClass>>(CONSUMER_BATCH);

/** kafkajs's consumer Batch without a BigInt parse per message (./consumer-batch.ts) */
export const ConsumerBatch = fastBatchClass(OriginalConsumerBatch);

/** An install step: null once in place, else why not. */
type Step = { name: string; description: string; codec?: true; install: () => string | null };

const STEPS: Step[] = [
  {
    name: "partition-grouping",
    description: "linear groupMessagesPerPartition in kafkajs's producer (kafkajs's is quadratic in the batch size)",
    install: () => replaceExport("src/producer/groupMessagesPerPartition.js", ["src/producer/sendMessages.js"], groupMessagesPerPartition),
  },
  {
    name: "send-messages",
    description: "the producer retries exactly the partitions their leader did not acknowledge, with fresh metadata, one attempt at a time (kafkajs's loses and duplicates records when a leader fails mid-send)",
    install: () => replaceExport("src/producer/sendMessages.js", ["src/producer/messageProducer.js"], createSendMessages),
  },
  {
    name: "produce-encoder",
    description: "Produce requests v3–v7 written by the fast, byte-identical encoder, framed in the same Buffer",
    codec: true,
    install: () =>
      replaceExport(
        PRODUCE_V3_REQUEST,
        [4, 5, 6, 7].map((v) => `src/protocol/requests/produce/v${v}/request.js`),
        produceRequestV3,
      ) ?? replaceExport(CREATE_REQUEST, ["src/network/connection.js"], createRequest),
  },
  {
    name: "fetch-decoder",
    description: "record batches of Fetch responses decoded by the fast decoder (kafkajs's for what it declines)",
    codec: true,
    install: () => replaceExport(RECORD_BATCH_DECODER, ["src/protocol/requests/fetch/v4/decodeMessages.js"], recordBatchDecoder),
  },
  {
    name: "consumer-batch",
    description: "consumer batches compare offsets as Numbers instead of parsing each into a BigInt",
    codec: true,
    install: () => replaceExport(CONSUMER_BATCH, ["src/consumer/consumerGroup.js"], ConsumerBatch),
  },
  {
    name: "no-nagle-socket",
    description: "every broker connection uses kafkajs's socket factory with setNoDelay(true) (passed as socketFactory)",
    install: () => (resolveKafkajs(DEFAULT_SOCKET_FACTORY) ? null : `kafkajs has no ${DEFAULT_SOCKET_FACTORY}`),
  },
  {
    name: "aborted-transaction-filter",
    description: `read_committed hides interleaved aborted transactions (pnpm patch of kafkajs's ${FILTER_ABORTED_MESSAGES})`,
    install: abortedTransactionLeak,
  },
  {
    // after consumer-batch: this loads kafkajs's consumerGroup.js, which captures the Batch class as it loads
    name: "partitions-revoked",
    description: "a consumer finishes its in-flight batches and commits their offsets before kafkajs rejoins its group (rebalance) or leaves it (stop)",
    install: installPartitionsRevokedHook,
  },
];

let installed: readonly KafkaAdaptation[] | undefined;

/**
 * Installs every kafkajs adaptation (once; later calls return the first result) and says which
 * are active. `MILLRACE_KAFKA_CODEC=kafkajs` leaves kafkajs's own record encoding and decoding in
 * place (A/B measurements, escape hatch).
 */
export function installKafkajsAdaptations(): readonly KafkaAdaptation[] {
  if (installed) return installed;
  const codecOff = process.env.MILLRACE_KAFKA_CODEC === "kafkajs";
  installed = Object.freeze(
    STEPS.map(({ name, description, codec, install }): KafkaAdaptation => {
      if (codec && codecOff) return Object.freeze({ name, description, active: false, reason: "off: MILLRACE_KAFKA_CODEC=kafkajs" });
      let reason: string | null;
      try {
        reason = install();
      } catch (e) {
        reason = `kafkajs internal not found or changed: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`;
      }
      return Object.freeze(reason === null ? { name, description, active: true } : { name, description, active: false, reason });
    }),
  );
  return installed;
}

/** The Kafka client library, its version and what this adapter changed in it. */
export function kafkaClientInfo(): KafkaClientInfo {
  return { name: "kafkajs", version: installedKafkajsVersion(), adaptations: installKafkajsAdaptations() };
}

/** One line for the start log: the library, its version and which adaptations run (and why not). */
export function describeKafkaClient(info: KafkaClientInfo): string {
  const active = info.adaptations.filter((a) => a.active).map((a) => a.name);
  const inactive = info.adaptations.filter((a) => !a.active).map((a) => `${a.name} (${a.reason})`);
  const off = inactive.length ? `; NOT active: ${inactive.join(", ")}` : "";
  return `Kafka client ${info.name} ${info.version}, adaptations active: ${active.join(", ") || "none"}${off}`;
}
