import { randomUUID } from "node:crypto";
import { readdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { isReservedTableKey, TABLE_KEY } from "@millrace/processors";
import type { DeploymentRepository, SnapshotOffsets, SnapshotPartitionRows, SnapshotRow, TableSnapshotRecord, TableSnapshotRepository } from "../db/index.js";
import { DomainError } from "../errors.js";
import type { KafkaClient } from "../kafka/index.js";
import type { Logger } from "../log.js";
import type { ExecutionPlan } from "../planner/index.js";
import { stateOf } from "./queries.js";
import { SnapshotFileWriter, snapshotFilePath, type SnapshotFile } from "./snapshot-file.js";
import { FoldedTable, SnapshotTooLargeError, SnapshotTooSlowError } from "./snapshot-fold.js";
import type { SnapshotSettings } from "./snapshot-settings.js";

/** The folds' temporary stores: `<data>/tmp/snapshot-<uuid>`, deleted after each snapshot and, left by a killed engine, at the next start. */
const FOLD_DIR_PREFIX = "snapshot-";

export interface TakeSnapshot {
  flowId: string;
  nodeId: string;
  /** write a JSON-lines file of this name (within the node's folder of the snapshot directory) instead of Postgres */
  file?: string;
  /** the user asking, or "schedule" */
  takenBy: string;
  /** skip (answer undefined) when, once the node's lock is held, its newest snapshot is younger than this (ms) */
  unlessYoungerThanMs?: number;
}

export interface SnapshotOutcome {
  snapshot: TableSnapshotRecord;
  /** per partition: where the changelog was read from (a previous snapshot's offset, or the log start) */
  partitions: { partition: number; from: number; offset: number; changesRead: number; fromSnapshot?: { id: string; rows: number } }[];
  /** snapshots deleted to keep the newest `keep` */
  pruned: string[];
}

export interface TableSnapshotsDeps {
  snapshots: TableSnapshotRepository;
  deployments: Pick<DeploymentRepository, "ofFlow" | "running">;
  kafka: KafkaClient;
  /** the data directory: folds run in temporary stores under its `tmp/` */
  dataDir: string;
  engineId: string;
  settings: SnapshotSettings;
  log: Logger;
}

/**
 * Snapshots of a table or aggregate node's table, on demand (API, CLI, designer) and on a
 * schedule (snapshot-schedule.ts): folded from the changelog (snapshot-fold.ts), written to
 * Postgres or a file, one at a time per node across every engine (an advisory lock), the newest
 * `keep` kept.
 */
export class TableSnapshots {
  constructor(private readonly d: TableSnapshotsDeps) {}

  /** Deletes the temporary stores of folds a killed engine left behind (no fold runs yet). */
  async removeLeftovers(): Promise<void> {
    const tmp = join(this.d.dataDir, "tmp");
    const names = await readdir(tmp).catch(() => [] as string[]);
    for (const name of names) if (name.startsWith(FOLD_DIR_PREFIX)) await rm(join(tmp, name), { recursive: true, force: true });
  }

  get settings(): SnapshotSettings {
    return this.d.settings;
  }

  list(flowId: string, nodeId: string, limit?: number): Promise<TableSnapshotRecord[]> {
    return this.d.snapshots.list(flowId, nodeId, limit);
  }

  /** Takes a snapshot; undefined when `unlessYoungerThanMs` found a young enough one. */
  async take(req: TakeSnapshot): Promise<SnapshotOutcome | undefined> {
    const deployment = await this.d.deployments.ofFlow(req.flowId);
    if (!deployment?.plan) throw new DomainError("UNAVAILABLE", `flow ${req.flowId} has never been deployed: it has no table yet`);
    const state = stateOf(deployment.plan as ExecutionPlan, req.nodeId);
    const file = req.file === undefined ? undefined : await snapshotFilePath(this.d.settings.directory, req.flowId, req.nodeId, req.file);
    const locked = await this.d.snapshots.withNodeLock(req.flowId, req.nodeId, async () => {
      if (req.unlessYoungerThanMs !== undefined) {
        const [newest] = await this.d.snapshots.list(req.flowId, req.nodeId, 1);
        if (newest && Date.now() - newest.takenAt.getTime() < req.unlessYoungerThanMs) return undefined;
      }
      const label = `${req.flowId}/${req.nodeId}`;
      const previous = await this.d.snapshots.latestInPostgres(req.flowId, req.nodeId);
      const table = await FoldedTable.fold({
        kafka: this.d.kafka,
        changelogTopic: state.changelogTopic,
        partitions: state.partitions,
        workDir: join(this.d.dataDir, "tmp", `${FOLD_DIR_PREFIX}${randomUUID()}`),
        maxBytes: this.d.settings.maxBytes,
        maxMs: this.d.settings.maxMs,
        label,
        log: (msg) => this.d.log.warn({ flowId: req.flowId, nodeId: req.nodeId }, `table snapshot of ${label}: ${msg}`),
        ...(previous ? { previous: { ...previous, rows: (p: number) => (load) => this.d.snapshots.rows(previous.id, p, load) } } : {}),
      });
      try {
        const offsets: SnapshotOffsets = {};
        for (const p of table.partitions) offsets[String(p.partition)] = p.offset;
        const meta = { flowId: req.flowId, nodeId: req.nodeId, deploymentId: deployment.id, version: deployment.version, offsets, offsetsAt: table.offsetsAt, takenBy: req.takenBy, engineId: this.d.engineId };
        const saved = file
          ? await this.toFile(table, meta, file, label)
          : await this.d.snapshots.save({ ...meta, target: "postgres", filePath: null }, (insert) => this.toRows(table, label, insert), this.d.settings.keep);
        await this.removeFiles(saved.pruned);
        const outcome: SnapshotOutcome = { snapshot: saved.snapshot, partitions: table.partitions, pruned: saved.pruned.map((s) => s.id) };
        const s = saved.snapshot;
        this.d.log.info(
          { flowId: s.flowId, nodeId: s.nodeId, snapshotId: s.id, takenBy: s.takenBy, offsets: s.offsets, pruned: outcome.pruned },
          `table snapshot ${s.id} of ${label} (${s.takenBy === "schedule" ? "on schedule" : `asked by ${s.takenBy}`}) written to ${s.target === "file" ? s.filePath : "Postgres"}: ${s.rowCount} rows, ${s.bytes} bytes, offsets ${JSON.stringify(s.offsets)}, ${s.ms} ms${outcome.pruned.length ? `; deleted older snapshot(s) ${outcome.pruned.join(", ")}` : ""}`,
        );
        return outcome;
      } finally {
        await table.close();
      }
    }).catch((e: unknown) => {
      // the bound is the asker's to change (a setting), not an engine failure
      if (e instanceof SnapshotTooLargeError || e instanceof SnapshotTooSlowError) throw new DomainError("INVALID", e.message);
      throw e;
    });
    if (!locked.ran) {
      if (req.unlessYoungerThanMs !== undefined) return undefined;
      throw new DomainError("CONFLICT", `a snapshot of ${req.flowId}/${req.nodeId} is being taken already (by this or another engine); ask again when it is done`);
    }
    return locked.value;
  }

  /** Inserts the table's rows page by page, refusing it beyond the size bound. */
  private async toRows(table: FoldedTable, label: string, insert: (rows: readonly SnapshotRow[]) => Promise<void>) {
    let rowCount = 0;
    let bytes = 0;
    const partitionRows: SnapshotPartitionRows = {};
    const rows: SnapshotRow[] = [];
    for await (const page of table.pages()) {
      rows.length = 0;
      for (const e of page.entries) {
        bytes += Buffer.byteLength(e.key) + Buffer.byteLength(JSON.stringify(e.value));
        rows.push({ partition: page.partition, key: e.key, value: e.value });
      }
      if (bytes > this.d.settings.maxBytes) throw new SnapshotTooLargeError(label, this.d.settings.maxBytes);
      await insert(rows);
      rowCount += rows.length;
      partitionRows[String(page.partition)] = (partitionRows[String(page.partition)] ?? 0) + rows.length;
    }
    return { rowCount, partitionRows, bytes };
  }

  /**
   * Writes the JSON-lines file (linked into place only when complete), then records it. A reader
   * sees only rows: the processors' bookkeeping keys (a windowed aggregate's stream time) are in
   * the header's `tableKeys`, by partition.
   */
  private async toFile(table: FoldedTable, meta: Omit<TableSnapshotRecord, "id" | "rowCount" | "partitionRows" | "bytes" | "takenAt" | "ms" | "target" | "filePath">, file: SnapshotFile, label: string) {
    const writer = await SnapshotFileWriter.create(file.path);
    let bytes = 0;
    let rowCount = 0;
    const partitionRows: SnapshotPartitionRows = {};
    try {
      const tableKeys: Record<string, Record<string, unknown>> = {};
      let reserved = 0;
      for (const { partition } of table.partitions) {
        for (const key of Object.values(TABLE_KEY)) {
          const value = table.get(partition, key);
          if (value === undefined) continue;
          (tableKeys[String(partition)] ??= {})[key] = value;
          reserved++;
        }
      }
      const header = JSON.stringify({
        snapshot: { flowId: meta.flowId, nodeId: meta.nodeId, version: meta.version, takenAt: new Date().toISOString(), offsets: meta.offsets, rows: table.rowCount() - reserved, ...(reserved ? { tableKeys } : {}) },
      });
      await writer.line(header);
      bytes += Buffer.byteLength(header) + 1;
      for await (const page of table.pages()) {
        let written = 0;
        for (const e of page.entries) {
          if (isReservedTableKey(e.key)) continue;
          const line = JSON.stringify({ key: e.key, value: e.value, partition: page.partition });
          bytes += Buffer.byteLength(line) + 1;
          await writer.line(line);
          written++;
        }
        rowCount += written;
        partitionRows[String(page.partition)] = (partitionRows[String(page.partition)] ?? 0) + written;
        if (bytes > this.d.settings.maxBytes) throw new SnapshotTooLargeError(label, this.d.settings.maxBytes);
      }
      await writer.finish();
    } catch (e) {
      await writer.abandon();
      throw e;
    }
    try {
      return await this.d.snapshots.save({ ...meta, target: "file", filePath: file.name }, async () => ({ rowCount, partitionRows, bytes }), this.d.settings.keep);
    } catch (e) {
      await rm(file.path, { force: true });
      throw e;
    }
  }

  /** The files of pruned file snapshots written on this machine (another engine's are its own to lose), named relative to the snapshot directory. */
  private async removeFiles(pruned: TableSnapshotRecord[]): Promise<void> {
    for (const s of pruned) if (s.target === "file" && s.filePath && s.engineId === this.d.engineId) await rm(resolve(this.d.settings.directory, s.filePath), { force: true }).catch(() => {});
  }
}
