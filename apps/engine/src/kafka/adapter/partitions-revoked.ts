// kafkajs 2.2.4 has no rebalance listener. On a rebalance its runner stops fetching and sends
// JoinGroup at once; on stop it leaves the group at once. A stage's batches whose produce or
// offset commit is still under way then belong to nobody: the partition's next owner reads them
// again from the last committed offset (duplicates) while the old owner may still write them.
// Kafka's own consumer calls its listener's onPartitionsRevoked before JoinGroup and before
// LeaveGroup (ConsumerCoordinator.onJoinPrepare and close), and the group waits for it (up to the
// rebalance timeout): while a rebalance is being prepared the coordinator still accepts offset
// commits of the current generation. This adaptation gives kafkajs the same: a hook carried by
// the consumer's partition assigner is awaited in ConsumerGroup.joinAndSync and leave.
// And kafkajs's consumer.commitOffsets resolves without committing anything once stop() began
// (also between retries of a commit under way), though the group is ours until it is left: here
// such a commit goes to the group directly, so what is committed on the way out reaches Kafka.
import type { PartitionsRevokedHook } from "../types.js";
import { kafkajsInternal } from "./kafkajs-internals.js";

export const CONSUMER_GROUP = "src/consumer/consumerGroup.js";
const RUNNER = "src/consumer/runner.js";
const ROUND_ROBIN_ASSIGNER = "src/consumer/assigners/roundRobinAssigner/index.js";

const HOOK = Symbol("millrace.partitionsRevoked");
const INSTALLED = Symbol("millrace.partitionsRevokedInstalled");

interface Assigner {
  name: string;
  version: number;
  [HOOK]?: PartitionsRevokedHook;
}

/** kafkajs's PartitionAssigner: a factory called once per consumer */
type AssignerFactory = (args: { groupId: string; logger: unknown; cluster: unknown }) => Assigner;

interface KafkajsConsumerGroup {
  groupId: string;
  memberId: string | null;
  assigners: Assigner[];
  logger: { error(message: string, extra?: Record<string, unknown>): void };
  commitOffsets(offsets: unknown): Promise<void>;
  joinAndSync(): Promise<void>;
  leave(): Promise<void>;
}

interface KafkajsRunner {
  running: boolean;
  consumerGroup: KafkajsConsumerGroup;
  commitOffsets(offsets: unknown): Promise<void> | undefined;
}

type Patched = ((this: KafkajsConsumerGroup) => Promise<void>) & { [INSTALLED]?: true };

/**
 * kafkajs's default (round-robin) partition assigner, unchanged, carrying `hook` for this
 * consumer (kafkajs gives its ConsumerGroup nothing else of ours to find it by).
 */
export function assignerWithRevokeHook(hook: PartitionsRevokedHook): AssignerFactory {
  const roundRobin = kafkajsInternal<AssignerFactory>(ROUND_ROBIN_ASSIGNER);
  return (args) => Object.assign(roundRobin(args), { [HOOK]: hook });
}

async function partitionsRevoked(group: KafkajsConsumerGroup, lost: boolean): Promise<void> {
  const hook = group.assigners.find((a) => a[HOOK])?.[HOOK];
  if (!hook) return;
  try {
    await hook(lost);
  } catch (e) {
    group.logger.error(`partitions-revoked hook failed (${e instanceof Error ? e.message : String(e)}); the group is joined or left anyway`, { groupId: group.groupId });
  }
}

/** Wraps kafkajs's ConsumerGroup.joinAndSync and leave, and Runner.commitOffsets (once). Null once in place, else why not. */
export function installPartitionsRevokedHook(): string | null {
  const proto = kafkajsInternal<{ prototype?: Partial<KafkajsConsumerGroup> }>(CONSUMER_GROUP).prototype;
  const runner = kafkajsInternal<{ prototype?: Partial<KafkajsRunner> }>(RUNNER).prototype;
  const join = proto?.joinAndSync as Patched | undefined;
  const leave = proto?.leave as Patched | undefined;
  const commit = runner?.commitOffsets;
  if (!proto || typeof join !== "function" || typeof leave !== "function") return `kafkajs's ${CONSUMER_GROUP} has no ConsumerGroup.joinAndSync/leave`;
  if (!runner || typeof commit !== "function") return `kafkajs's ${RUNNER} has no Runner.commitOffsets`;
  if (join[INSTALLED]) return null;
  const patchedJoin: Patched = async function (this: KafkajsConsumerGroup) {
    // no member id: a first join, or the coordinator forgot us (kafkajs cleared it): partitions lost
    await partitionsRevoked(this, !this.memberId);
    return join.call(this);
  };
  const patchedLeave: Patched = async function (this: KafkajsConsumerGroup) {
    if (this.memberId) await partitionsRevoked(this, false);
    return leave.call(this);
  };
  patchedJoin[INSTALLED] = true;
  proto.joinAndSync = patchedJoin;
  proto.leave = patchedLeave;
  runner.commitOffsets = async function (this: KafkajsRunner, offsets: unknown): Promise<void> {
    if (this.running) await commit.call(this, offsets);
    // stopping (maybe since a retry of the commit above): committing the same offsets again is harmless
    if (!this.running) await this.consumerGroup.commitOffsets(offsets);
  };
  return null;
}
