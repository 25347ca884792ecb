import type { InMessage, KafkaClient, Sender } from "../kafka/index.js";
import type { PlannedStage } from "../planner/index.js";
import type { MessageDecoder } from "../formats/codecs.js";
import type { StageTables } from "./table-state.js";
import type { InputSlice, Observers } from "./observer.js";
import type { Outgoing, PartitionChooser, ProducedPositions } from "./producing.js";
import type { StageExecutor } from "./stage.js";

/** What a stage runner needs from the flow runtime that starts it. */
export interface RunnerDeps {
  kafka: KafkaClient;
  flowId: string;
  deploymentId: string;
  stage: PlannedStage;
  executor: StageExecutor;
  observers: Observers;
  exactlyOnce: boolean;
  /** record provenance for this deployment (default true): batches say so to observers, and produced offsets are reported */
  provenance?: boolean;
  /** the flow's shared non-transactional producer (at-least-once), behind a CoalescingSender */
  producer: Sender;
  /** the flow's dead-letter topic (poll-source exactly-once checkpoints are committed against its partition 0) */
  deadLetterTopic: string;
  /** a line of this stage's logger (flow, stage and engine ids bound); `err` is logged with its stack */
  log(level: "info" | "warn" | "error", msg: string, err?: unknown): void;
  /** true once the flow is stopping on this engine (set before the processors' signal aborts) */
  stopping(): boolean;
  /** partitions of the output topics; made by the flow runtime */
  partitions: PartitionChooser;
  /** a consumer stage that copies its input as bytes instead of running processors (kafka-mirror); at-least-once only */
  copier?: BatchCopier;
  /** a kafka-source stage whose node reads another format than JSON values and string keys */
  decoder?: MessageDecoder;
  /** a stage headed by a stateful node: its tables (one per input partition) */
  tables?: StageTables;
}

/** What a copying consumer stage does with a fetched batch instead of decoding it and running processors. */
export interface BatchCopier {
  /** the batch's messages as they are to be written, and their size */
  outgoing(topic: string, partition: number, messages: readonly InMessage[]): { outgoing: Outgoing; bytes: number };
  /** acknowledged and committed: `positions` says where each copy landed */
  copied(input: InputSlice, count: number, bytes: number, positions: ProducedPositions | undefined): void;
  /** the partitions this engine's consumer got at its last join */
  assigned?(assignment: Record<string, number[]>): void;
}

/** One running stage: a ConsumerStageRunner (consumer-stage.ts) or a SourceStageRunner (source-stage.ts). */
export interface StageRunner {
  readonly stage: PlannedStage;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** back pressure (sources only) */
  setPaused(paused: boolean): void;
  readonly paused: boolean;
}

/** What a stage says, once per topic, when a topic refuses its records' event time (producing.ts then stamps them at write time). */
export function eventTimeRefusedWarning(d: Pick<RunnerDeps, "log" | "stage">): (topics: string[], error: string) => void {
  return (topics, error) =>
    d.log(
      "warn",
      `stage ${d.stage.id}: topic ${topics.join(", ")} refused records for their timestamps (${error}; the topic's message.timestamp.before.max.ms / message.timestamp.after.max.ms); its records are stamped with the time they are written from now on, their event time is not kept there`,
    );
}
