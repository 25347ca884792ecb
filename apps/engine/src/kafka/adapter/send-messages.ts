// kafkajs 2.2.4's producer/sendMessages.js, replaced (./install.ts) because it loses and
// duplicates records when a partition leader fails mid-send:
// - it remembers which BROKERS answered, not which partitions: a retry skips a broker that
//   answered before, even when a partition that failed elsewhere moved to it (lost), and resends
//   every partition of a broker whose answer held one error (duplicated);
// - it stops waiting at the first failed request and retries while others are still in flight,
//   so a broker can get the same partitions twice (duplicated, also inside a transaction);
// - a partition missing from the metadata is dropped without a word (lost).
// Here a partition is done only when its leader acknowledged it; each attempt waits for every
// request, sends only the partitions still open to their leaders from fresh metadata, and rolls
// back the idempotent sequence of exactly the partitions that were not acknowledged.
import { groupMessagesPerPartition } from "./partition-grouping.js";
import { kafkajsInternal } from "./kafkajs-internals.js";

interface PartitionMetadata {
  partitionId: number;
  leader: number;
}

interface ProducePartitionResponse {
  partition: number;
  errorCode: number;
  baseOffset: string;
  logAppendTime: string;
  logStartOffset?: string;
}

interface ProduceResponse {
  topics: { topicName: string; partitions: ProducePartitionResponse[] }[];
}

interface ProtocolRequest {
  request: unknown;
  response: { decode(raw: Buffer): Promise<unknown>; parse(decoded: unknown): Promise<unknown> };
}

interface Broker {
  nodeId: number;
  connectionPool: { send(request: ProtocolRequest): Promise<unknown> };
  lookupRequest(apiKey: number, definition: unknown): (args: object) => ProtocolRequest;
  disconnect(): Promise<void>;
}

interface Cluster {
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): PartitionMetadata[];
  findBroker(a: { nodeId: number }): Promise<Broker>;
  removeBroker(a: { host: string; port: number }): void;
  isConnected(): boolean;
  connect(): Promise<void>;
}

interface EosManager {
  isTransactional(): boolean;
  getTransactionalId(): string;
  getProducerId(): unknown;
  getProducerEpoch(): unknown;
  getSequence(topic: string, partition: number): number;
  updateSequence(topic: string, partition: number, increment: number): void;
  addPartitionsToTransaction(topicData: TopicData[]): Promise<void>;
  acquireBrokerLock(broker: Broker): Promise<void>;
  releaseBrokerLock(broker: Broker): void;
}

interface Logger {
  error(message: string, extra?: object): void;
  debug(message: string, extra?: object): void;
}

type Retrier = <T>(fn: (bail: (e: unknown) => void, retryCount: number, retryTime: number) => Promise<T>) => Promise<T>;

interface PartitionData {
  partition: number;
  messages: unknown[];
  firstSequence?: number;
}

interface TopicData {
  topic: string;
  partitions: PartitionData[];
}

/** What kafkajs's responseSerializer returns per partition (messageProducer turns it into RecordMetadata). */
export interface PartitionResult {
  topicName: string;
  partition: number;
  errorCode: number;
  baseOffset?: string;
  logAppendTime?: string;
  logStartOffset?: string;
}

interface KafkaError extends Error {
  retriable?: boolean;
  host?: string;
  port?: number;
}

interface SendArgs {
  acks: number;
  timeout?: number;
  compression?: number;
  topicMessages: { topic: string; messages: unknown[] }[];
}

interface Dependencies {
  logger: Logger;
  cluster: Cluster;
  partitioner: (a: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number;
  eosManager: EosManager;
  retrier: Retrier;
}

const protocolErrors = kafkajsInternal<{ createErrorFromCode(code: number): KafkaError; staleMetadata(e: unknown): boolean }>("src/protocol/error.js");
const errors = kafkajsInternal<{ KafkaJSMetadataNotLoaded: new (message: string) => KafkaError }>("src/errors.js");
const apiKeys = kafkajsInternal<{ Produce: number }>("src/protocol/requests/apiKeys.js");
const { requests } = kafkajsInternal<{ requests: { Produce: unknown } }>("src/protocol/requests/index.js");

const LEADER_NOT_AVAILABLE = 5;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
/** the broker already has this batch (an earlier attempt was written after all): acknowledged */
const DUPLICATE_SEQUENCE_NUMBER = 46;

/** kafkajs's Produce response parse throws on the first partition error; the per-partition codes are needed. */
const keepPartitionErrors = async (decoded: unknown): Promise<unknown> => decoded;

/** What kafkajs's Broker.produce defaults (the request encoder writes an absent timeout as 0: the broker would not wait for the replicas at all). */
const PRODUCE_DEFAULTS = { acks: -1, timeout: 30_000, compression: 0 };

/** Sends a Produce request to `broker` and returns its response with every partition's own error code. */
async function produceTo(
  broker: Broker,
  args: { acks?: number; timeout?: number; compression?: number; transactionalId?: string; producerId: unknown; producerEpoch: unknown; topicData: TopicData[] },
): Promise<ProduceResponse | undefined> {
  const request = broker.lookupRequest(apiKeys.Produce, requests.Produce)({
    ...args,
    acks: args.acks ?? PRODUCE_DEFAULTS.acks,
    timeout: args.timeout ?? PRODUCE_DEFAULTS.timeout,
    compression: args.compression ?? PRODUCE_DEFAULTS.compression,
  });
  const tolerant: ProtocolRequest = { ...request, response: { ...request.response, parse: keepPartitionErrors } };
  try {
    return (await broker.connectionPool.send(tolerant)) as ProduceResponse | undefined;
  } catch (e) {
    // as kafkajs's Broker does for every request
    if ((e as KafkaError).name === "KafkaJSConnectionClosedError") await broker.disconnect();
    throw e;
  }
}

/** The factory kafkajs's messageProducer.js calls as `require('./sendMessages')(…)`. */
export function createSendMessages({ logger, cluster, partitioner, eosManager, retrier }: Dependencies) {
  return async ({ acks, timeout, compression, topicMessages }: SendArgs): Promise<PartitionResult[]> => {
    const topics = topicMessages.map((t) => t.topic);
    /** per topic: partition → its messages, until its leader acknowledged them */
    let open: Map<string, Map<number, unknown[]>> | undefined;
    const done: PartitionResult[] = [];

    /** Groups the messages by partition once: a retry sends the same records to the same partitions. */
    function group(): Map<string, Map<number, unknown[]>> {
      const byTopic = new Map<string, Map<number, unknown[]>>();
      for (const { topic, messages } of topicMessages) {
        const partitionMetadata = cluster.findTopicPartitionMetadata(topic);
        if (partitionMetadata.length === 0) throw new errors.KafkaJSMetadataNotLoaded(`Producing to topic ${topic} without metadata`);
        let parts = byTopic.get(topic);
        if (!parts) byTopic.set(topic, (parts = new Map()));
        const grouped = groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner });
        for (const key in grouped) {
          const partition = Number(key);
          const list = parts.get(partition);
          const more = grouped[partition]!;
          if (!list) parts.set(partition, more);
          else for (let i = 0; i < more.length; i++) list.push(more[i]);
        }
      }
      return byTopic;
    }

    /** Sends `topicData` to its leader; acknowledged partitions are done, the first error of the others is returned. */
    async function sendTo(nodeId: number, topicData: TopicData[]): Promise<KafkaError | undefined> {
      const broker = await cluster.findBroker({ nodeId });
      await eosManager.acquireBrokerLock(broker);
      try {
        if (eosManager.isTransactional()) await eosManager.addPartitionsToTransaction(topicData);
        for (const { topic, partitions } of topicData)
          for (const entry of partitions) {
            entry.firstSequence = eosManager.getSequence(topic, entry.partition);
            eosManager.updateSequence(topic, entry.partition, entry.messages.length);
          }
        let response: ProduceResponse | undefined;
        try {
          response = await produceTo(broker, {
            transactionalId: eosManager.isTransactional() ? eosManager.getTransactionalId() : undefined,
            producerId: eosManager.getProducerId(),
            producerEpoch: eosManager.getProducerEpoch(),
            acks,
            timeout,
            compression,
            topicData,
          });
        } catch (e) {
          // unknown whether the broker wrote them: resent with the same sequence, which it recognises
          for (const { topic, partitions } of topicData) for (const entry of partitions) eosManager.updateSequence(topic, entry.partition, -entry.messages.length);
          throw e;
        }
        let firstError: KafkaError | undefined;
        for (const { topic, partitions } of topicData) {
          const answers = response?.topics.find((t) => t.topicName === topic)?.partitions;
          for (const entry of partitions) {
            const answer = answers?.find((a) => a.partition === entry.partition);
            if (acks === 0 || (answer && (answer.errorCode === 0 || answer.errorCode === DUPLICATE_SEQUENCE_NUMBER))) {
              done.push(answer ? { topicName: topic, ...answer, errorCode: 0 } : { topicName: topic, partition: entry.partition, errorCode: 0 });
              open!.get(topic)!.delete(entry.partition);
              continue;
            }
            eosManager.updateSequence(topic, entry.partition, -entry.messages.length);
            firstError ??= protocolErrors.createErrorFromCode(answer ? answer.errorCode : UNKNOWN_TOPIC_OR_PARTITION);
          }
        }
        return firstError;
      } finally {
        eosManager.releaseBrokerLock(broker);
      }
    }

    return retrier(async (bail, retryCount, retryTime) => {
      try {
        await cluster.addMultipleTargetTopics(topics);
        await cluster.refreshMetadataIfNecessary();
        open ??= group();
        let failure: KafkaError | undefined;
        const perLeader = new Map<number, TopicData[]>();
        for (const [topic, parts] of open) {
          if (!parts.size) continue;
          const metadata = cluster.findTopicPartitionMetadata(topic);
          for (const [partition, messages] of parts) {
            const leader = metadata.find((p) => p.partitionId === partition)?.leader;
            if (leader === undefined || leader === null || leader < 0) {
              failure ??= protocolErrors.createErrorFromCode(leader === undefined ? UNKNOWN_TOPIC_OR_PARTITION : LEADER_NOT_AVAILABLE);
              continue;
            }
            let topicData = perLeader.get(leader);
            if (!topicData) perLeader.set(leader, (topicData = []));
            let t = topicData.find((x) => x.topic === topic);
            if (!t) topicData.push((t = { topic, partitions: [] }));
            t.partitions.push({ partition, messages });
          }
        }
        // every request ends before the next attempt: none is ever in flight twice
        const outcomes = await Promise.allSettled([...perLeader].map(([nodeId, topicData]) => sendTo(nodeId, topicData)));
        for (const o of outcomes) {
          const e = o.status === "rejected" ? (o.reason as KafkaError) : o.value;
          if (!e) continue;
          if (e.name === "KafkaJSConnectionClosedError" && e.host !== undefined && e.port !== undefined) cluster.removeBroker({ host: e.host, port: e.port });
          failure ??= e;
        }
        let left = 0;
        for (const parts of open.values()) left += parts.size;
        if (!left) return done;
        throw failure ?? protocolErrors.createErrorFromCode(LEADER_NOT_AVAILABLE);
      } catch (err) {
        const e = err as KafkaError;
        if (!cluster.isConnected()) {
          logger.debug(`Cluster has disconnected, reconnecting: ${e.message}`, { retryCount, retryTime });
          await cluster.connect();
          await cluster.refreshMetadata();
          throw e;
        }
        if (
          protocolErrors.staleMetadata(e) ||
          e.name === "KafkaJSMetadataNotLoaded" ||
          e.name === "KafkaJSConnectionError" ||
          e.name === "KafkaJSConnectionClosedError" ||
          e.name === "KafkaJSRequestTimeoutError" ||
          (e.name === "KafkaJSProtocolError" && e.retriable)
        ) {
          logger.error(`Failed to send messages: ${e.message}`, { retryCount, retryTime });
          await cluster.refreshMetadata();
          throw e;
        }
        logger.error(e.message, { retryCount, retryTime });
        if (e.retriable) throw e;
        bail(e);
        return done; // not reached: bail rejects the send
      }
    });
  };
}
