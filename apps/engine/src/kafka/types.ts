// Millrace's own Kafka vocabulary. Nothing here mentions kafkajs: the engine codes against
// these types so the client library (kafkajs today, unmaintained since 2023) can be swapped
// for another (e.g. @platformatic/kafka) by rewriting ./client.ts alone.

import type { KafkaConnection } from "@millrace/flow";

export type Bytes = Buffer | string | null;
export type Headers = Record<string, Buffer | string | undefined>;

/** A record to produce. `partition` overrides the partitioner (murmur2 on the key, like Java). */
export interface OutMessage {
  key?: Bytes;
  value: Bytes;
  headers?: Headers;
  partition?: number;
  /** milliseconds since the epoch (kafkajs takes a string or a number; the engine writes numbers) */
  timestamp?: string | number;
}

/** A consumed record. Offsets are decimal strings (they are int64). */
export interface InMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
  timestamp: string;
}

export interface SentRecord {
  topic: string;
  partition: number;
  /** offset of the first record written in this request to this partition */
  baseOffset?: string;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** default: the broker's default.replication.factor */
  replicationFactor?: number;
  /** topic-level configs, e.g. { "retention.ms": "3600000", "cleanup.policy": "compact" } */
  configs?: Record<string, string>;
}

export interface PartitionOffsets {
  partition: number;
  /** log start offset */
  low: number;
  /** high watermark (next offset to be written and visible to read_uncommitted) */
  high: number;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** committed offset of the group, or null when it has none (then lag counts from `low`) */
  committed: number | null;
  low: number;
  high: number;
  lag: number;
}

export interface GroupLag {
  groupId: string;
  /** sum over partitions */
  total: number;
  partitions: PartitionLag[];
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  /** the NEXT offset to read (last processed + 1) */
  offset: string;
}

export interface ProducerOptions {
  /** Enables transactions; implies idempotent and maxInFlightRequests 1. Keep it STABLE per input partition (zombie fencing). */
  transactionalId?: string;
  idempotent?: boolean;
  maxInFlightRequests?: number;
  /** ms, default 60000 */
  transactionTimeout?: number;
  /** -1 all (default), 1 leader, 0 none */
  acks?: -1 | 0 | 1;
  compression?: "none" | "gzip";
}

export interface Sender {
  send(topic: string, messages: OutMessage[]): Promise<SentRecord[]>;
  /** `bytes`: the batch's size as the caller counted it; a sender that merges batches uses it instead of counting again */
  sendBatch(batch: { topic: string; messages: OutMessage[] }[], bytes?: number): Promise<SentRecord[]>;
}

export interface KafkaTransaction extends Sender {
  /** Commits the consumer group's offsets (next offset to read) as part of this transaction. */
  sendOffsets(groupId: string, offsets: TopicPartitionOffset[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  isActive(): boolean;
}

export interface KafkaProducer extends Sender {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** One open transaction per producer at a time. */
  transaction(): Promise<KafkaTransaction>;
}

/**
 * Awaited before the consumer (re)joins its group (a rebalance) and before it leaves it (stop):
 * finish or drop the batches in flight and commit what was processed (commitOffsets works until
 * the group is left, also while the consumer stops), well within the session timeout (the whole
 * group waits). `lost`: the membership is gone already (the coordinator forgot the member, or it
 * never joined), nothing can be committed: drop the work in flight. A throw is logged and the
 * join or leave goes on.
 */
export type PartitionsRevokedHook = (lost: boolean) => Promise<void>;

export interface ConsumerOptions {
  groupId: string;
  /** default 100 ms (kafkajs default 5000 is far too slow for latency) */
  maxWaitTimeInMs?: number;
  minBytes?: number;
  /** default 256 KiB */
  maxBytesPerPartition?: number;
  /** most bytes of one fetch over all partitions, default 1 MiB */
  maxBytes?: number;
  sessionTimeout?: number;
  rebalanceTimeout?: number;
  heartbeatInterval?: number;
  /** default false: read_committed, aborted transactions are invisible */
  readUncommitted?: boolean;
  /** before the partitions are given up (rebalance or stop); see PartitionsRevokedHook */
  onPartitionsRevoked?: PartitionsRevokedHook;
}

export interface InBatch {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: InMessage[];
  firstOffset(): string | null;
  lastOffset(): string;
}

export interface BatchContext {
  batch: InBatch;
  /** marks `offset` as processed (auto-commit, if on, commits offset + 1) */
  resolveOffset(offset: string): void;
  /** call inside long batches: rebalances are noticed on heartbeat */
  heartbeat(): Promise<void>;
  /** false once the consumer is stopping: finish up quickly */
  isRunning(): boolean;
  /** true when a rebalance took this partition away: drop the batch */
  isStale(): boolean;
  commitOffsetsIfNecessary(): Promise<void>;
  /** pauses this topic-partition; returns resume */
  pause(): () => void;
}

export interface RunOptions {
  eachBatch: (ctx: BatchContext) => Promise<void>;
  /** default true; with false, commit yourself (commitOffsets or a transaction's sendOffsets) */
  autoCommit?: boolean;
  autoCommitInterval?: number;
  /** resolve every message of a batch after eachBatch returns (default true) */
  eachBatchAutoResolve?: boolean;
  partitionsConsumedConcurrently?: number;
}

export interface KafkaConsumer {
  connect(): Promise<void>;
  subscribe(opts: { topics: (string | RegExp)[]; fromBeginning?: boolean }): Promise<void>;
  run(opts: RunOptions): Promise<void>;
  commitOffsets(offsets: TopicPartitionOffset[]): Promise<void>;
  seek(tp: TopicPartitionOffset): void;
  pause(topics: { topic: string; partitions?: number[] }[]): void;
  resume(topics: { topic: string; partitions?: number[] }[]): void;
  stop(): Promise<void>;
  disconnect(): Promise<void>;
  /** resolves when the consumer joined the group and got its assignment */
  onGroupJoin(listener: (assignment: Record<string, number[]>) => void): () => void;
  /** the consumer crashed; `restart` tells whether it restarts by itself */
  onCrash(listener: (error: Error, restart: boolean) => void): () => void;
}

export interface KafkaLogger {
  debug(msg: string, extra?: Record<string, unknown>): void;
  info(msg: string, extra?: Record<string, unknown>): void;
  warn(msg: string, extra?: Record<string, unknown>): void;
  error(msg: string, extra?: Record<string, unknown>): void;
}

export type KafkaLogLevel = "nothing" | "error" | "warn" | "info" | "debug";

export interface KafkaOptions {
  /** "host:port" list, or a comma-separated string (as in KAFKA_BROKERS) */
  brokers: string[] | string;
  /** the SASL and TLS settings of a named connection (absent: plaintext, no authentication) */
  security?: KafkaConnection;
  clientId: string;
  /** where client logs go (default: stderr, errors only) */
  logger?: KafkaLogger;
  /** default "error" (kafkajs logs every retry and rebalance as an error/warn storm otherwise) */
  logLevel?: KafkaLogLevel;
  /** ms, default 3000 */
  connectionTimeout?: number;
  /** ms, default 30000 */
  requestTimeout?: number;
  /** retries of a failed request with exponential backoff from 100 ms, default 8 */
  retries?: number;
}

export interface KafkaClient {
  readonly brokers: string[];
  readonly clientId: string;
  producer(opts?: ProducerOptions): KafkaProducer;
  consumer(opts: ConsumerOptions): KafkaConsumer;

  /** Creates the missing topics (and adds partitions where fewer than asked); returns those created. Idempotent. */
  ensureTopics(specs: TopicSpec[]): Promise<string[]>;
  /**
   * Brings topic-level configs to the asked values where they differ, keeping the topic's other
   * overrides; returns the topics changed. Every topic must exist.
   */
  alterTopicConfigs(changes: { topic: string; configs: Record<string, string> }[]): Promise<string[]>;
  /** The configs set on the topic itself (its overrides of the brokers' defaults). */
  topicConfigs(topic: string): Promise<Record<string, string>>;
  /** Deletes the records below `offset` in each named partition, as retention would (the partition's low watermark moves there). */
  deleteRecordsBefore(topic: string, partitions: { partition: number; offset: number }[]): Promise<void>;
  /** Per partition, the first offset whose record is at or after `timestampMs` (the high watermark when none is). */
  offsetsAtTime(topic: string, timestampMs: number): Promise<{ partition: number; offset: number }[]>;
  /** Deletes the topics that exist; missing ones are ignored. */
  deleteTopics(topics: string[]): Promise<void>;
  listTopics(): Promise<string[]>;
  /** Ids of the consumer groups the cluster knows. */
  listGroups(): Promise<string[]>;
  /** Low and high watermark per partition, sorted by partition. */
  topicEndOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** high watermark − committed offset per partition (no commit: counts from the low watermark). */
  groupLag(groupId: string, topics: string[]): Promise<GroupLag>;
  /** The group's committed offsets (next offset to read) in those topics; partitions it never committed are left out. */
  groupOffsets(groupId: string, topics: string[]): Promise<TopicPartitionOffset[]>;
  /** Sets a group's committed offsets; refused while the group has active members. */
  setGroupOffsets(groupId: string, offsets: TopicPartitionOffset[]): Promise<void>;
  /** Number of partitions of each existing topic named (one metadata request). */
  partitionCounts(topics: string[]): Promise<Map<string, number>>;
  /** Deletes consumer groups (they must have no members); missing ones are ignored. */
  deleteGroups(groupIds: string[]): Promise<void>;
  /** Broker ids and the controller id, asked of the cluster. */
  describeCluster(): Promise<{ brokers: { nodeId: number; host: string; port: number }[]; controller: number | null; clusterId: string }>;
  /** The id of the cluster this client last talked to (learnt when its admin connects); undefined before that. */
  clusterId?(): string | undefined;

  /** Disconnects the shared admin client and every producer/consumer made by this client. */
  close(): Promise<void>;
}

/** One change the adapter makes to the client library (reported at start, in /healthz and /metrics). */
export interface KafkaAdaptation {
  /** stable id, e.g. "produce-encoder" (the `name` label of millrace_kafka_client_adaptation) */
  name: string;
  description: string;
  /** false: the library runs without it (`reason` says why) */
  active: boolean;
  reason?: string;
}

export interface KafkaClientInfo {
  /** the client library, e.g. "kafkajs" */
  name: string;
  version: string;
  adaptations: readonly KafkaAdaptation[];
}
