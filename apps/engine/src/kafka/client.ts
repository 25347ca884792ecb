// The kafkajs adapter behind Millrace's KafkaClient (./types.ts). Swapping the client
// library means rewriting this file, ./log.ts and ./adapter/ (kafkajs's internals), nothing else.
import "./adapter/installed.js"; // first: kafkajs internals are replaced before kafkajs is loaded
import kafkajs, {
  CompressionTypes,
  Kafka,
  type Admin,
  type EachBatchPayload,
  type ITopicConfig,
  type Message,
  type PartitionAssigner,
  type Producer,
  type RecordMetadata,
  type Transaction,
} from "kafkajs";
import { assignerWithRevokeHook } from "./adapter/partitions-revoked.js";
import { noDelaySocketFactory } from "./adapter/socket.js";
import { engineKafkaLogger, quietLogCreator, toKafkajsLevel } from "./log.js";
import { kafkaSecurity } from "./connection-test.js";
import type {
  BatchContext,
  ConsumerOptions,
  GroupLag,
  InBatch,
  KafkaClient,
  KafkaConsumer,
  KafkaOptions,
  KafkaProducer,
  KafkaTransaction,
  OutMessage,
  PartitionLag,
  PartitionOffsets,
  ProducerOptions,
  SentRecord,
  TopicPartitionOffset,
  TopicSpec,
} from "./types.js";
import { murmur2 } from "./murmur2.js";

// not among the names Node finds in kafkajs's CommonJS exports: read from the default export
const { ConfigResourceTypes, ConfigSource } = kafkajs;


/** The partition Kafka's default partitioner (Java's and kafkajs's) picks for a key among `count` partitions, known before sending. */
export function keyPartition(key: Buffer | string, count: number): number {
  return (murmur2(key) & 0x7fffffff) % count;
}

/**
 * kafkajs's DefaultPartitioner semantics (explicit partition, else murmur2 of the key, else round
 * robin over partitions with a leader), but without its per-message array allocations: it
 * filtered the partition list for every message, even those with an explicit partition.
 */
const fastPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }: { topic: string; partitionMetadata: { partitionId: number; leader: number }[]; message: Message }): number => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (message.key !== null && message.key !== undefined) return keyPartition(message.key, partitionMetadata.length);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    const n = (counters.get(topic) ?? Math.floor(Math.random() * 2 ** 31)) + 1;
    counters.set(topic, n);
    if (available.length) return available[(n & 0x7fffffff) % available.length]!.partitionId;
    return (n & 0x7fffffff) % partitionMetadata.length;
  };
};

/** Defaults chosen for a latency-sensitive engine on a small machine. */
export const KAFKA_DEFAULTS = {
  connectionTimeout: 3_000,
  requestTimeout: 30_000,
  retries: 8,
  initialRetryTime: 100,
  maxWaitTimeInMs: 100,
  sessionTimeout: 30_000,
  rebalanceTimeout: 30_000,
  heartbeatInterval: 3_000,
  // 256 KiB per partition and 1 MiB per fetch (kafkajs: 1 MiB / 10 MiB): ~1,000 records of 250 bytes
  // a batch is plenty to amortise a produce; every stage holds up to two batches per partition
  maxBytesPerPartition: 262_144,
  maxBytes: 1_048_576,
  transactionTimeout: 60_000,
} as const;

export function parseBrokers(brokers: string[] | string): string[] {
  const list = (Array.isArray(brokers) ? brokers : brokers.split(",")).map((b) => b.trim()).filter(Boolean);
  if (!list.length) throw new Error("Kafka: no brokers given (KAFKA_BROKERS is empty?)");
  return list;
}

export function createKafka(opts: KafkaOptions): KafkaClient {
  const brokers = parseBrokers(opts.brokers);
  const retries = opts.retries ?? KAFKA_DEFAULTS.retries;
  const threshold = opts.logLevel ?? "error";
  const kafka = new Kafka({
    clientId: opts.clientId,
    brokers,
    connectionTimeout: opts.connectionTimeout ?? KAFKA_DEFAULTS.connectionTimeout,
    requestTimeout: opts.requestTimeout ?? KAFKA_DEFAULTS.requestTimeout,
    retry: { initialRetryTime: KAFKA_DEFAULTS.initialRetryTime, retries },
    logLevel: toKafkajsLevel(threshold),
    logCreator: quietLogCreator(opts.logger ?? engineKafkaLogger, threshold),
    socketFactory: noDelaySocketFactory,
    ...(opts.security ? kafkaSecurity(opts.security) : {}),
  });

  const closers = new Set<() => Promise<void>>();
  const log = opts.logger ?? engineKafkaLogger;
  let clusterId: string | undefined;
  let previousClusterId: string | undefined;
  let adminP: Promise<Admin> | undefined;
  const admin = (): Promise<Admin> => {
    adminP ??= (async () => {
      const a = kafka.admin({ retry: { initialRetryTime: KAFKA_DEFAULTS.initialRetryTime, retries } });
      try {
        await a.connect();
        noteClusterId((await a.describeCluster()).clusterId);
      } catch (e) {
        adminP = undefined;
        await a.disconnect().catch(() => {});
        throw e;
      }
      return a;
    })();
    return adminP;
  };

  /** A broker replaced under the engine (fresh storage on the same address) answers with another cluster id. */
  function noteClusterId(id: string): void {
    if (clusterId !== undefined && id !== clusterId) {
      previousClusterId = clusterId;
      log.warn(
        `Kafka at ${brokers.join(",")} is another cluster now (cluster id ${clusterId} became ${id}): metadata refreshed; topics of flows deployed before are missing there until the flows are redeployed`,
        { previousClusterId: clusterId, clusterId: id },
      );
    }
    clusterId = id;
  }

  // kafkajs's admin asks for the metadata of every topic it ever touched before each request,
  // and fails every request for good once one of them is gone (a deleted topic, a replaced
  // cluster): a fresh admin starts with no such list and learns the cluster id again.
  const retiredAdmins = new Set<Admin>();
  const retireAfterMs = opts.requestTimeout ?? KAFKA_DEFAULTS.requestTimeout;
  function replaceAdmin(used: Promise<Admin>): void {
    if (adminP === used) adminP = undefined;
    // other requests may still run on it: disconnected once they had their time
    void used.then(
      (a) => {
        retiredAdmins.add(a);
        setTimeout(() => {
          if (retiredAdmins.delete(a)) void a.disconnect().catch(() => {});
        }, retireAfterMs).unref();
      },
      () => {},
    );
  }

  /** Runs an admin request, refreshing metadata (a new admin) and retrying with backoff while Kafka says the failure is retriable. */
  async function withMetadataRetry<T>(topics: readonly string[], request: (a: Admin) => Promise<T>, topicsMustExist = true): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const used = admin();
      try {
        return await request(await used);
      } catch (e) {
        const cause = retriableMetadataError(e);
        if (!cause) throw e;
        replaceAdmin(used);
        // kafkajs already retried inside the request: a topic the cluster does not have is final now
        const missing = topicsMustExist && topics.length ? await missingTopics(topics) : [];
        if (missing.length) throw finalMetadataError(e, { type: "UNKNOWN_TOPIC_OR_PARTITION", message: cause.message }, missing);
        if (attempt >= METADATA_ATTEMPTS) throw finalMetadataError(e, cause, topics);
        await sleep(METADATA_BACKOFF_MS * 2 ** (attempt - 1));
      }
    }
  }

  async function missingTopics(topics: readonly string[]): Promise<string[]> {
    try {
      const existing = new Set(await (await admin()).listTopics());
      return topics.filter((t) => !existing.has(t));
    } catch {
      return [];
    }
  }

  function finalMetadataError(e: unknown, cause: KafkaErrorLike, topics: readonly string[]): Error {
    const where = `the cluster at ${brokers.join(",")}`;
    const changed = previousClusterId ? ` (cluster id changed from ${previousClusterId} to ${clusterId})` : "";
    const named = topics.length ? `${topics.length > 1 ? "topics" : "topic"} ${topics.join(", ")}` : "";
    const message =
      cause.type === "UNKNOWN_TOPIC_OR_PARTITION" && named
        ? `${named} missing on ${where}${changed}: redeploy the flow to recreate its topics (an external topic must first be created on the cluster); Kafka said: ${cause.message}`
        : `Kafka request${named ? ` for ${named}` : ""} still failing on ${where}${changed} after ${METADATA_ATTEMPTS} metadata refreshes: ${cause.message}; check the brokers (KAFKA_BROKERS) and retry`;
    return new Error(message, { cause: e });
  }

  async function topicEndOffsets(topic: string): Promise<PartitionOffsets[]> {
    const offs = await withMetadataRetry([topic], (a) => a.fetchTopicOffsets(topic));
    return offs
      .map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }))
      .sort((x, y) => x.partition - y.partition);
  }

  const client: KafkaClient = {
    brokers,
    clientId: opts.clientId,

    producer(popts: ProducerOptions = {}): KafkaProducer {
      const transactional = popts.transactionalId !== undefined;
      const p = kafka.producer({
        createPartitioner: fastPartitioner, // murmur2 like Java (= Partitioners.DefaultPartitioner); silences kafkajs's v2 warning
        allowAutoTopicCreation: false,
        idempotent: popts.idempotent ?? transactional,
        transactionalId: popts.transactionalId,
        maxInFlightRequests: popts.maxInFlightRequests ?? (transactional || popts.idempotent ? 1 : undefined),
        transactionTimeout: popts.transactionTimeout ?? KAFKA_DEFAULTS.transactionTimeout,
        retry: { initialRetryTime: KAFKA_DEFAULTS.initialRetryTime, retries },
      });
      const acks = popts.acks ?? -1;
      const compression = popts.compression === "gzip" ? CompressionTypes.GZIP : CompressionTypes.None;
      const close = () => p.disconnect();
      return {
        ...sender(p, acks, compression),
        async connect() {
          await p.connect();
          closers.add(close);
        },
        async disconnect() {
          closers.delete(close);
          await p.disconnect();
        },
        async transaction(): Promise<KafkaTransaction> {
          if (!transactional) throw new Error("producer.transaction() needs a producer made with a transactionalId");
          return wrapTransaction(await p.transaction(), compression);
        },
      };
    },

    consumer(copts: ConsumerOptions): KafkaConsumer {
      const c = kafka.consumer({
        groupId: copts.groupId,
        maxWaitTimeInMs: copts.maxWaitTimeInMs ?? KAFKA_DEFAULTS.maxWaitTimeInMs,
        minBytes: copts.minBytes ?? 1,
        maxBytesPerPartition: copts.maxBytesPerPartition ?? KAFKA_DEFAULTS.maxBytesPerPartition,
        maxBytes: copts.maxBytes ?? KAFKA_DEFAULTS.maxBytes,
        sessionTimeout: copts.sessionTimeout ?? KAFKA_DEFAULTS.sessionTimeout,
        rebalanceTimeout: copts.rebalanceTimeout ?? KAFKA_DEFAULTS.rebalanceTimeout,
        heartbeatInterval: copts.heartbeatInterval ?? KAFKA_DEFAULTS.heartbeatInterval,
        readUncommitted: copts.readUncommitted ?? false,
        allowAutoTopicCreation: false,
        retry: { initialRetryTime: KAFKA_DEFAULTS.initialRetryTime, retries },
        ...(copts.onPartitionsRevoked ? { partitionAssigners: [assignerWithRevokeHook(copts.onPartitionsRevoked) as unknown as PartitionAssigner] } : {}),
      });
      const close = () => c.disconnect();
      return {
        async connect() {
          await c.connect();
          closers.add(close);
        },
        subscribe: (s) => c.subscribe({ topics: s.topics, fromBeginning: s.fromBeginning ?? false }),
        run: (r) =>
          c.run({
            autoCommit: r.autoCommit ?? true,
            autoCommitInterval: r.autoCommitInterval,
            eachBatchAutoResolve: r.eachBatchAutoResolve ?? true,
            partitionsConsumedConcurrently: r.partitionsConsumedConcurrently ?? 1,
            eachBatch: (payload) => r.eachBatch(wrapBatch(payload)),
          }),
        commitOffsets: (offsets) => c.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset }))),
        seek: (tp) => c.seek(tp),
        pause: (t) => c.pause(t),
        resume: (t) => c.resume(t),
        stop: () => c.stop(),
        async disconnect() {
          closers.delete(close);
          await c.disconnect();
        },
        onGroupJoin: (listener) => c.on(c.events.GROUP_JOIN, (e) => listener(e.payload.memberAssignment)),
        onCrash: (listener) => c.on(c.events.CRASH, (e) => listener(e.payload.error, e.payload.restart)),
      };
    },

    async ensureTopics(specs: TopicSpec[]): Promise<string[]> {
      if (!specs.length) return [];
      return withMetadataRetry(specs.map((s) => s.topic), (a) => ensureTopicsWith(a, specs), false);
    },

    async alterTopicConfigs(changes: { topic: string; configs: Record<string, string> }[]): Promise<string[]> {
      if (!changes.length) return [];
      return withMetadataRetry(changes.map((c) => c.topic), (a) => alterTopicConfigsWith(a, changes));
    },

    async topicConfigs(topic: string): Promise<Record<string, string>> {
      const [current] = await withMetadataRetry([topic], (a) => topicOverrides(a, [topic]));
      return current ?? {};
    },

    async deleteRecordsBefore(topic: string, partitions: { partition: number; offset: number }[]): Promise<void> {
      if (!partitions.length) return;
      await withMetadataRetry([topic], (a) => a.deleteTopicRecords({ topic, partitions: partitions.map((p) => ({ partition: p.partition, offset: String(p.offset) })) }));
    },

    async offsetsAtTime(topic: string, timestampMs: number): Promise<{ partition: number; offset: number }[]> {
      const found = await withMetadataRetry([topic], (a) => a.fetchTopicOffsetsByTimestamp(topic, timestampMs));
      return found.map((p) => ({ partition: p.partition, offset: Number(p.offset) }));
    },

    async deleteTopics(topics: string[]): Promise<void> {
      if (!topics.length) return;
      await withMetadataRetry(topics, async (a) => {
        const existing = new Set(await a.listTopics());
        const del = topics.filter((t) => existing.has(t));
        if (del.length) await a.deleteTopics({ topics: del, timeout: 30_000 });
      });
    },

    async listTopics(): Promise<string[]> {
      return withMetadataRetry([], (a) => a.listTopics());
    },

    async listGroups(): Promise<string[]> {
      return (await (await admin()).listGroups()).groups.map((g) => g.groupId);
    },

    topicEndOffsets,

    async groupLag(groupId: string, topics: string[]): Promise<GroupLag> {
      // On a fresh broker the first group request creates __consumer_offsets and gets
      // NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS while it loads; kafkajs's admin
      // does not retry those for fetchOffsets.
      const committed = await withMetadataRetry(topics, (a) => retryCoordinator(() => a.fetchOffsets({ groupId, topics })));
      const partitions: PartitionLag[] = [];
      for (const topic of topics) {
        const ends = await topicEndOffsets(topic);
        const mine = committed.find((t) => t.topic === topic)?.partitions ?? [];
        for (const e of ends) {
          const raw = mine.find((p) => p.partition === e.partition)?.offset ?? "-1";
          const c = Number(raw);
          const has = raw !== "-1" && c >= 0;
          const from = has ? Math.max(c, e.low) : e.low;
          partitions.push({ topic, partition: e.partition, committed: has ? c : null, low: e.low, high: e.high, lag: Math.max(0, e.high - from) });
        }
      }
      return { groupId, total: partitions.reduce((s, p) => s + p.lag, 0), partitions };
    },

    async groupOffsets(groupId: string, topics: string[]): Promise<TopicPartitionOffset[]> {
      if (!topics.length) return [];
      const committed = await withMetadataRetry(topics, (a) => retryCoordinator(() => a.fetchOffsets({ groupId, topics })), false);
      return committed.flatMap((t) => t.partitions.filter((p) => Number(p.offset) >= 0).map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset })));
    },

    async setGroupOffsets(groupId: string, offsets: TopicPartitionOffset[]): Promise<void> {
      const a = await admin();
      const byTopic = new Map<string, { partition: number; offset: string }[]>();
      for (const o of offsets) {
        let list = byTopic.get(o.topic);
        if (!list) byTopic.set(o.topic, (list = []));
        list.push({ partition: o.partition, offset: o.offset });
      }
      for (const [topic, partitions] of byTopic) await retryCoordinator(() => a.setOffsets({ groupId, topic, partitions }));
    },

    async partitionCounts(topics: string[]): Promise<Map<string, number>> {
      if (!topics.length) return new Map();
      const { topics: meta } = await withMetadataRetry(topics, (a) => a.fetchTopicMetadata({ topics }));
      return new Map(meta.map((t) => [t.name, t.partitions.length]));
    },

    async deleteGroups(groupIds: string[]): Promise<void> {
      if (!groupIds.length) return;
      const a = await admin();
      try {
        await retryCoordinator(() => a.deleteGroups(groupIds));
      } catch (e) {
        // KafkaJSDeleteGroupsError lists per-group errors; a group that does not exist is fine
        const groups = (e as { groups?: { groupId: string; error?: { type?: string } }[] }).groups;
        const real = groups?.filter((g) => g.error && g.error.type !== "GROUP_ID_NOT_FOUND") ?? [e];
        if (real.length) throw e;
      }
    },

    async describeCluster() {
      const c = await (await admin()).describeCluster();
      noteClusterId(c.clusterId);
      return { brokers: c.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })), controller: c.controller, clusterId: c.clusterId };
    },

    clusterId: () => clusterId,

    async close(): Promise<void> {
      const all = [...closers];
      closers.clear();
      const a = adminP;
      adminP = undefined;
      const retired = [...retiredAdmins];
      retiredAdmins.clear();
      await Promise.allSettled([...all.map((f) => f()), a?.then((x) => x.disconnect()), ...retired.map((x) => x.disconnect())]);
    },
  };
  return client;
}

/** Creates the missing topics and grows the ones with fewer partitions than asked; returns those created. */
async function ensureTopicsWith(a: Admin, specs: TopicSpec[]): Promise<string[]> {
  const existing = new Set(await a.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  const created: string[] = [];
  if (missing.length) {
    const topics: ITopicConfig[] = missing.map((s) => ({
      topic: s.topic,
      numPartitions: s.partitions,
      replicationFactor: s.replicationFactor ?? -1,
      configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
    }));
    // false = some already existed (a concurrent creator): fine. kafkajs's own
    // waitForLeaders fails on a multi-broker cluster when it asks a broker that has not
    // seen the topic yet (UNKNOWN_TOPIC_OR_PARTITION), so we wait for leaders ourselves.
    await a.createTopics({ topics, waitForLeaders: false });
    await waitForLeaders(a, missing.map((s) => s.topic));
    created.push(...missing.map((s) => s.topic));
  }
  const present = specs.filter((s) => existing.has(s.topic));
  if (present.length) {
    const meta = await a.fetchTopicMetadata({ topics: present.map((s) => s.topic) });
    const grow = present.flatMap((s) => {
      const have = meta.topics.find((t) => t.name === s.topic)?.partitions.length ?? 0;
      return have < s.partitions ? [{ topic: s.topic, count: s.partitions }] : [];
    });
    if (grow.length) await a.createPartitions({ topicPartitions: grow, validateOnly: false, timeout: 30_000 });
  }
  return created;
}

/** Per topic, the configs set on the topic itself (not the brokers' defaults), in the order asked. */
async function topicOverrides(a: Admin, topics: string[]): Promise<Record<string, string>[]> {
  const described = await a.describeConfigs({ resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })), includeSynonyms: false });
  return topics.map((name) => {
    const r = described.resources.find((x) => x.resourceName === name);
    if (!r) throw new Error(`Kafka did not describe the configs of topic ${name}`);
    if (r.errorCode) throw new Error(`Kafka could not describe the configs of topic ${name}: ${r.errorMessage ?? `error ${r.errorCode}`}`);
    const own: Record<string, string> = {};
    for (const e of r.configEntries) if (e.configSource === ConfigSource.TOPIC_CONFIG && e.configValue !== null) own[e.configName] = e.configValue;
    return own;
  });
}

/**
 * kafkajs has no incremental AlterConfigs: its AlterConfigs replaces every override of the topic,
 * so the topic's other overrides are sent along, and a topic already as asked is left alone.
 */
async function alterTopicConfigsWith(a: Admin, changes: { topic: string; configs: Record<string, string> }[]): Promise<string[]> {
  const current = await topicOverrides(a, changes.map((c) => c.topic));
  const resources = changes.flatMap((c, i) => {
    const have = current[i]!;
    if (Object.entries(c.configs).every(([k, v]) => have[k] === v)) return [];
    const merged = { ...have, ...c.configs };
    return [{ type: ConfigResourceTypes.TOPIC, name: c.topic, configEntries: Object.entries(merged).map(([name, value]) => ({ name, value })) }];
  });
  if (resources.length) await a.alterConfigs({ validateOnly: false, resources });
  return resources.map((r) => r.name);
}

const METADATA_ERRORS = new Set(["UNKNOWN_TOPIC_OR_PARTITION", "LEADER_NOT_AVAILABLE", "NOT_LEADER_FOR_PARTITION", "NOT_LEADER_OR_FOLLOWER"]);

/** Polls metadata until every partition of `topics` has a leader (up to `timeoutMs`). */
async function waitForLeaders(a: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const meta = await a.fetchTopicMetadata({ topics });
      const ok = topics.every((t) => {
        const tm = meta.topics.find((x) => x.name === t);
        return !!tm && tm.partitions.length > 0 && tm.partitions.every((p) => p.leader >= 0);
      });
      if (ok) return;
    } catch (e) {
      const type = (e as { type?: string }).type;
      if (!type || !METADATA_ERRORS.has(type)) throw e;
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Kafka: no leader for every partition of ${topics.join(", ")} within ${timeoutMs} ms${last ? ` (${String(last)})` : ""}`);
}

/** Attempts (each with a fresh admin, so fresh metadata) before a retriable metadata error is final. */
const METADATA_ATTEMPTS = 4;
const METADATA_BACKOFF_MS = 200;

interface KafkaErrorLike {
  name?: string;
  type?: string;
  message: string;
  retriable?: boolean;
  cause?: unknown;
}

/** The Kafka protocol error in `e`'s cause chain that Kafka calls retriable, or a metadata error kafkajs gave up on. */
export function retriableMetadataError(e: unknown): KafkaErrorLike | undefined {
  for (let x = e as KafkaErrorLike | undefined, depth = 0; x && typeof x === "object" && depth < 5; x = x.cause as KafkaErrorLike | undefined, depth++) {
    if (x.type && METADATA_ERRORS.has(x.type)) return x;
    if (x.name === "KafkaJSProtocolError" && x.retriable && !(x.type && COORDINATOR_ERRORS.has(x.type))) return x;
  }
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const COORDINATOR_ERRORS = new Set(["NOT_COORDINATOR", "COORDINATOR_LOAD_IN_PROGRESS", "COORDINATOR_NOT_AVAILABLE"]);

/** Retries `fn` while the group coordinator is moving or loading (up to ~15 s). */
export async function retryCoordinator<T>(fn: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    try {
      return await fn();
    } catch (e) {
      const type = (e as { type?: string }).type;
      if (!type || !COORDINATOR_ERRORS.has(type) || Date.now() + delay > end) throw e;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** OutMessage has kafkajs's Message shape (key, value, headers, partition, timestamp): passed as is, no copy per message. */
function toMessages(m: OutMessage[]): Message[] {
  return m as Message[];
}

function toSent(r: RecordMetadata[]): SentRecord[] {
  return r.map((x) => ({ topic: x.topicName, partition: x.partition, baseOffset: x.baseOffset ?? x.offset }));
}

function sender(p: Producer | Transaction, acks: number | undefined, compression: CompressionTypes) {
  return {
    send: async (topic: string, messages: OutMessage[]) =>
      toSent(await p.send({ topic, messages: toMessages(messages), acks, compression })),
    sendBatch: async (batch: { topic: string; messages: OutMessage[] }[]) =>
      toSent(await p.sendBatch({ topicMessages: batch.map((b) => ({ topic: b.topic, messages: toMessages(b.messages) })), acks, compression })),
  };
}

function wrapTransaction(tx: Transaction, compression: CompressionTypes): KafkaTransaction {
  return {
    // transactions need acks=all
    ...sender(tx, -1, compression),
    async sendOffsets(groupId: string, offsets: TopicPartitionOffset[]) {
      const byTopic = new Map<string, { partition: number; offset: string }[]>();
      for (const o of offsets) {
        const l = byTopic.get(o.topic) ?? [];
        l.push({ partition: o.partition, offset: o.offset });
        byTopic.set(o.topic, l);
      }
      await tx.sendOffsets({ consumerGroupId: groupId, topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
    },
    commit: () => tx.commit(),
    abort: () => tx.abort(),
    isActive: () => tx.isActive(),
  };
}

function wrapBatch(p: EachBatchPayload): BatchContext {
  const b = p.batch;
  return {
    batch: {
      topic: b.topic,
      partition: b.partition,
      highWatermark: b.highWatermark,
      // kafkajs's messages already have InMessage's shape (its decoder always sets `headers`): no copy per message
      messages: b.messages as unknown as InBatch["messages"],
      firstOffset: () => b.firstOffset(),
      lastOffset: () => b.lastOffset(),
    },
    resolveOffset: (o) => p.resolveOffset(o),
    heartbeat: () => p.heartbeat(),
    isRunning: () => p.isRunning(),
    isStale: () => p.isStale(),
    commitOffsetsIfNecessary: () => p.commitOffsetsIfNecessary(),
    pause: () => p.pause(),
  };
}
