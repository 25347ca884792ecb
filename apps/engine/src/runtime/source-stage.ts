import { setTimeout as sleep } from "node:timers/promises";
import type { SourceProcessor } from "@millrace/processors";
import { errorMessage } from "../log.js";
import type { PlannedStage } from "../planner/index.js";
import { CheckpointSaver } from "./checkpoint-saver.js";
import { produce, type ProducedPositions } from "./producing.js";
import { eventTimeRefusedWarning, type RunnerDeps, type StageRunner } from "./stage-runner.js";
import type { StageOutput } from "./stage.js";
import { SourceProducer } from "./transactions.js";

/** Where a polled source's checkpoint is kept between runs (Postgres in the engine). */
export interface CheckpointStore {
  load(flowId: string, nodeId: string): Promise<unknown | undefined>;
  save(flowId: string, nodeId: string, checkpoint: unknown): Promise<void>;
}

/**
 * A polled source stage (generate, http-listen, postgres-poll): runs on one engine at a time
 * (the caller holds the lease). Polls, runs the fused nodes, produces, then hands the source's
 * checkpoint to a CheckpointSaver, which persists it in the background (at-least-once; the loop
 * never waits on Postgres, so an unreachable database does not stall the flow). In exactly-once
 * mode an integer checkpoint is also committed, inside the same Kafka transaction as the
 * records, as the offset of a dedicated consumer group on the dead-letter topic's partition 0,
 * and read back from there on restart (SourceProducer).
 */
export class SourceStageRunner implements StageRunner {
  private stopped = false;
  private _paused = false;
  private _heldForDisk = false;
  private loop: Promise<void> | undefined;
  private readonly txProducer: SourceProducer | undefined;
  private readonly abort = new AbortController();
  private readonly eventTimeRefused: (topics: string[], error: string) => void;
  /** true once the source said it is done (a finite generate) */
  done = false;
  /** the partition a polled batch's unkeyed records go to, rotating from batch to batch (see PartitionChooser) */
  private slot = Math.floor(Math.random() * 1024);

  constructor(
    private readonly d: RunnerDeps,
    private readonly source: SourceProcessor,
    private readonly checkpoints: CheckpointStore,
    private readonly batchSize = 1000,
  ) {
    this.eventTimeRefused = eventTimeRefusedWarning(d);
    if (d.exactlyOnce) this.txProducer = new SourceProducer(d.kafka, `${d.stage.transactionalIdPrefix}.source`, d.stage.groupId, d.deadLetterTopic);
  }

  get stage(): PlannedStage {
    return this.d.stage;
  }
  get paused(): boolean {
    return this._paused;
  }
  setPaused(paused: boolean): void {
    this._paused = paused;
  }
  /** held by the disk guard: apart from back pressure, so neither lifts the other's pause */
  get heldForDisk(): boolean {
    return this._heldForDisk;
  }
  setHeldForDisk(held: boolean): void {
    this._heldForDisk = held;
  }

  async start(): Promise<void> {
    const { stage, flowId } = this.d;
    let checkpoint = await this.checkpoints.load(flowId, stage.head);
    if (this.txProducer) {
      const committed = await this.txProducer.refence();
      if (committed !== undefined) checkpoint = committed;
    }
    await this.source.open?.(checkpoint);
    this.produced = checkpoint;
    this.launch(checkpoint);
  }

  /** the checkpoint of the last batch produced (where a restarted loop goes on from) */
  private produced: unknown;

  /**
   * Runs the poll loop. It handles its own errors; should anything still escape, the stage is
   * reported failed (onBatchError + log) and the loop restarts from the last produced
   * checkpoint after 2 s, instead of an unhandled rejection taking the engine down.
   */
  private launch(from: unknown): void {
    this.loop = this.run(from).catch((e) => {
      const error = e instanceof Error ? e : new Error(String(e));
      if (this.stopped) return;
      this.d.observers.onBatchError({ flowId: this.d.flowId, deploymentId: this.d.deploymentId, stageId: this.d.stage.id, input: null, error });
      this.d.log("error", `source ${this.d.stage.head}: poll loop failed (${error.message}); restarting it in 2 s from the last produced checkpoint (a bug if it repeats: report it with this stack)`, error);
      setTimeout(() => {
        if (!this.stopped && !this.done) this.launch(this.produced);
      }, 2000).unref();
    });
  }

  private async run(initial: unknown): Promise<void> {
    this.produced = initial;
    const head = this.d.stage.head;
    const saver = new CheckpointSaver((c) => this.checkpoints.save(this.d.flowId, head, c), initial, {
      failed: (e) =>
        this.d.log(
          "warn",
          `source ${head}: could not save its checkpoint to Postgres (${errorMessage(e)}); the flow goes on and the newest checkpoint is saved once Postgres answers (not logged again until then). Should the engine stop first, the source resumes from its last saved checkpoint (records since then are produced again)`,
          e,
        ),
      recovered: (failures) => this.d.log("info", `source ${head}: checkpoint saved to Postgres again (after ${failures} failed attempts)`),
    });
    try {
      await this.pollLoop(saver);
    } finally {
      await saver.close(this.produced);
    }
  }

  private async pollLoop(saver: CheckpointSaver): Promise<void> {
    let lastOffer = 0;
    while (!this.stopped) {
      if (this._paused || this._heldForDisk) {
        await sleep(50);
        continue;
      }
      let polled: Awaited<ReturnType<SourceProcessor["poll"]>>;
      try {
        polled = await this.source.poll(this.batchSize);
      } catch (e) {
        this.d.log("warn", `source ${this.d.stage.head}: poll failed (${errorMessage(e)}); polling again in 1 s. If it persists, check the system this source reads and its settings`, e);
        await sleep(1000);
        continue;
      }
      if (this.stopped || this.d.stopping()) return; // not produced, not checkpointed: polled again after a restart
      if (polled.records.length || polled.failures?.length) {
        const startedAt = Date.now();
        let out: StageOutput | undefined;
        let positions: ProducedPositions | undefined;
        let ok = false;
        for (let attempt = 0; !this.stopped; attempt++) {
          try {
            // a retry produces the very same batch again (same partitions)
            out ??= await this.d.executor.runSource(polled.records, { chooser: this.d.partitions, slot: this.slot++ }, polled.failures);
            if (this.stopped || this.d.stopping()) break;
            await this.produce(out, polled.checkpoint, (p) => (positions = p));
            ok = true;
            break;
          } catch (e) {
            this.d.observers.onBatchError({ flowId: this.d.flowId, deploymentId: this.d.deploymentId, stageId: this.d.stage.id, input: null, error: e instanceof Error ? e : new Error(String(e)) });
            this.d.log(
              "warn",
              `source ${this.d.stage.head}: writing its batch to Kafka failed (attempt ${attempt + 1}: ${errorMessage(e)}); retrying the same batch in ${Math.min(5000, 200 * 2 ** attempt) / 1000} s, the source polls nothing new meanwhile. If it persists, check the brokers (KAFKA_BROKERS)`,
              e,
            );
            await sleep(Math.min(5000, 200 * 2 ** attempt));
            // Exactly-once: a commit that failed on our side may have succeeded on the broker.
            // Start over with a fresh (fenced) producer and ask Kafka where the checkpoint is.
            if (this.txProducer && !this.stopped) {
              try {
                if ((await this.txProducer.refence()) === polled.checkpoint) {
                  ok = true;
                  break;
                }
              } catch (err) {
                this.d.log("warn", `source ${this.d.stage.head}: could not re-initialise its transactional producer (${errorMessage(err)}); tried again with the next attempt`, err);
              }
            }
          }
        }
        if (!ok || !out) return; // stopped before the records were written: not checkpointed either
        this.produced = polled.checkpoint;
        this.d.observers.onBatch({
          flowId: this.d.flowId,
          deploymentId: this.d.deploymentId,
          stageId: this.d.stage.id,
          input: null,
          checkpoint: polled.checkpoint,
          startedAt,
          durationMs: Date.now() - startedAt,
          transactional: this.d.exactlyOnce,
          provenance: this.d.provenance !== false,
          nodes: out.nodes,
          positions,
        });
      }
      if (!polled.records.length && !polled.failures?.length && polled.checkpoint !== undefined) this.produced = polled.checkpoint;
      // the batch is acknowledged or committed by now: the source may release what it kept upstream
      if (polled.checkpoint !== undefined) this.source.acknowledged?.(polled.checkpoint);
      // offered only now that the batch's records are produced; saved in the background (never waited on here)
      if (polled.checkpoint !== undefined && polled.checkpoint !== saver.offered && (polled.done || Date.now() - lastOffer >= 100)) {
        saver.offer(polled.checkpoint);
        lastOffer = Date.now();
      }
      if (polled.done) {
        this.done = true;
        return;
      }
    }
  }

  /**
   * Writes a batch (and, exactly-once, its checkpoint in the same transaction). `written` gets
   * where the records went (provenance on) as soon as they are acknowledged: a commit that fails
   * here may still have succeeded on the broker.
   */
  private async produce(out: StageOutput, checkpoint: unknown, written: (positions: ProducedPositions | undefined) => void): Promise<void> {
    const { outgoing } = out;
    const positions = this.d.provenance !== false;
    if (this.txProducer) {
      await this.txProducer.transaction(checkpoint, async (tx) => {
        if (outgoing.count) written(await produce(tx, outgoing, positions, this.eventTimeRefused));
      });
    } else if (outgoing.count) written(await produce(this.d.producer, outgoing, positions, this.eventTimeRefused));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.loop?.catch(() => {});
    await this.txProducer?.close();
  }
}
