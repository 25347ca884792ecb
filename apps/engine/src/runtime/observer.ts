import type { MRecord } from "@millrace/processors";
import type { ProducedPositions } from "./producing.js";

export type { ProducedPositions, TopicPositions } from "./producing.js";
import { errorMessage, logger, type Logger } from "../log.js";

/**
 * The runner's observation hooks: stats, provenance, edge taps and metrics plug in here;
 * processors never see them. Every callback runs synchronously on the hot path, after the
 * batch's outputs were acknowledged by Kafka (in exactly-once mode: its transaction committed;
 * a mirror's copies: its offsets committed too), so an observer never reports work that a crash
 * could still undo; at-least-once, a crash before the offset commit makes it see the batch
 * again (redelivery). Keep
 * callbacks cheap: copy what you need and do I/O asynchronously (buffer + flush). An observer
 * that throws is logged and ignored; it never fails a batch.
 *
 * Arrays and records are the runner's own: read them, never mutate or keep them past the
 * callback unless you copy (records are immutable by contract, so keeping a record reference
 * is fine; keeping the arrays is not).
 */
export interface RunnerObserver {
  onBatch?(batch: BatchEvent): void;
  /** A batch failed as a whole (Kafka or infrastructure error): it will be retried. */
  onBatchError?(e: BatchErrorEvent): void;
  /** A source stage paused or resumed because of back pressure or low disk space. */
  onPause?(e: PauseEvent): void;
  /** Records a node wrote were refused by their topic's cluster (no ACL) and went to its failure route instead. */
  onRefusedWrite?(e: RefusedWriteEvent): void;
  /** A mirror copied a batch of messages of one source topic-partition (acknowledged by the target cluster). */
  onMirrored?(e: MirroredEvent): void;
  /** A mirror's lag per source topic over the partitions it copies on this engine (replaces the previous one). */
  onReplicationLag?(e: ReplicationLagEvent): void;
  /** A stateful node's table of one partition is being restored from its changelog (`done` = `total`: finished). */
  onRestore?(e: RestoreEvent): void;
}

export interface InputSlice {
  topic: string;
  partition: number;
  /** first and last offset of the batch (decimal strings, int64) */
  firstOffset: string;
  lastOffset: string;
}

export interface BatchEvent {
  flowId: string;
  deploymentId: string;
  stageId: string;
  /** which Kafka slice this batch was (consumer stages); null for polled sources */
  input: InputSlice | null;
  /** polled sources: the checkpoint reached after this batch */
  checkpoint?: unknown;
  /** ms since epoch when the batch started, and how long it took (decode → acknowledged or committed) */
  startedAt: number;
  durationMs: number;
  /** true when produced + committed in one Kafka transaction */
  transactional: boolean;
  /** false when the deployment was made with `provenance: false` (the provenance recorder skips it) */
  provenance?: boolean;
  /** one entry per node of the stage that ran, in execution order (head first) */
  nodes: NodeBatch[];
  /**
   * Where the batch's messages were written (partition and offset per topic, from the produce
   * acknowledgements); an output's entry is at its `messageIndex` in `topics[0]`'s arrays.
   * Present when provenance is recorded and the batch wrote something.
   */
  positions?: ProducedPositions;
}

export interface NodeBatch {
  nodeId: string;
  /**
   * The records the node was given. For the head of a consumer stage these are the decoded
   * Kafka messages: `inputs[i]` is the message at offset `inputOffsets[i]`.
   * For a polled source this is empty: its records are outputs with parent -1.
   */
  inputs: readonly MRecord[];
  /** the Kafka offset of each input (head of a consumer stage only) */
  inputOffsets?: readonly string[];
  /** bytes of the inputs as read from Kafka (0 for fused hops: stats.ts estimates those) */
  bytesIn: number;
  outputs: readonly Emitted[];
  /** bytes written to Kafka for this node's outputs (edge topics, external topic, dead-letter) */
  bytesOut: number;
  /** records the node sent to `failure` */
  errors: number;
  /** the last failure reason in this batch (HEADER.error of a failure record) */
  lastError?: string;
}

export interface Emitted {
  port: string;
  /** the record as routed: lineage headers (HEADER.id / HEADER.parents) already set */
  record: MRecord;
  /** index into the node's `inputs` of the record it derives from; -1 = created at a source */
  parent: number;
  /**
   * where it went: an edge topic, the external topic (kafka-sink), the dead-letter topic,
   * or nowhere (fused only, or dropped on an unconnected port)
   */
  topics: readonly string[];
  /** encoded size in bytes (value + key) when written to Kafka, else undefined */
  bytes?: number;
  /**
   * Written outputs only: the index of the copy written to `topics[0]` among that topic's
   * messages in this batch, i.e. its entry in `BatchEvent.positions.get(topics[0])`.
   */
  messageIndex?: number;
}

export interface BatchErrorEvent {
  flowId: string;
  deploymentId: string;
  stageId: string;
  input: { topic: string; partition: number } | null;
  error: Error;
}

export interface RefusedWriteEvent {
  flowId: string;
  deploymentId: string;
  /** the stage of the writing node (for observers' error lines) */
  stageId: string;
  nodeId: string;
  records: number;
  reason: string;
}

export interface MirroredEvent {
  flowId: string;
  deploymentId: string;
  stageId: string;
  nodeId: string;
  /** the source topic and its copy */
  topic: string;
  target: string;
  records: number;
  /** key + value + header bytes copied */
  bytes: number;
}

export interface ReplicationLagEvent {
  flowId: string;
  deploymentId: string;
  stageId: string;
  nodeId: string;
  /** per source topic: its copy, the messages not yet copied (source end − copied), the partitions counted */
  topics: Record<string, { target: string; lag: number; partitions: number }>;
}

export interface RestoreEvent {
  flowId: string;
  deploymentId: string;
  stageId: string;
  nodeId: string;
  partition: number;
  /** changelog offsets read so far, of `total` */
  done: number;
  total: number;
}

export interface PauseEvent {
  flowId: string;
  deploymentId: string;
  stageId: string;
  paused: boolean;
  /** the edges whose queue is over its threshold */
  edges: string[];
  /** held by the disk guard (free space low where the engine's data lives), with or without back pressure */
  disk?: boolean;
}

/** Fans one event out to several observers; one failing observer does not stop the others. */
export class Observers implements RunnerObserver {
  private list: RunnerObserver[] = [];
  constructor(private readonly log: Logger = logger.child({ module: "observers" })) {}
  add(o: RunnerObserver): () => void {
    this.list.push(o);
    return () => {
      this.list = this.list.filter((x) => x !== o);
    };
  }
  get size(): number {
    return this.list.length;
  }
  onBatch(b: BatchEvent): void {
    for (const o of this.list) {
      try {
        o.onBatch?.(b);
      } catch (e) {
        this.failed(o, "a batch", b, e);
      }
    }
  }
  onBatchError(e: BatchErrorEvent): void {
    this.notify("onBatchError", e, "a batch error");
  }
  onPause(e: PauseEvent): void {
    this.notify("onPause", e, "a pause change");
  }
  onRefusedWrite(e: RefusedWriteEvent): void {
    this.notify("onRefusedWrite", e, "a refused write");
  }
  onMirrored(e: MirroredEvent): void {
    this.notify("onMirrored", e, "a mirrored batch");
  }
  onReplicationLag(e: ReplicationLagEvent): void {
    this.notify("onReplicationLag", e, "a replication lag");
  }
  onRestore(e: RestoreEvent): void {
    this.notify("onRestore", e, "a restore's progress");
  }
  /** Every observer that has `method`, each in its own try (onBatch, the hot one, is written out). */
  private notify<K extends "onBatchError" | "onPause" | "onRefusedWrite" | "onMirrored" | "onReplicationLag" | "onRestore">(method: K, e: Parameters<NonNullable<RunnerObserver[K]>>[0], what: string): void {
    for (const o of this.list) {
      try {
        (o[method] as ((x: typeof e) => void) | undefined)?.call(o, e);
      } catch (err) {
        this.failed(o, what, e, err);
      }
    }
  }
  private failed(o: RunnerObserver, what: string, at: { flowId: string; stageId: string }, e: unknown): void {
    const observer = o.constructor.name;
    this.log.error(
      { err: e, observer, flowId: at.flowId, stageId: at.stageId },
      `observer ${observer} failed on ${what}: ${errorMessage(e)}; the flow carries on, only what that observer records (stats, metrics, provenance or taps) misses it`,
    );
  }
}
