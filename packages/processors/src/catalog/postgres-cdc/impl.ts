import pg from "pg";
import type { Pgoutput } from "pg-logical-replication";
import { parseConfig, redact, sleep } from "../../config.js";
import { pgMessage, pgTarget, quoteIdent } from "../../pg-util.js";
import type { MRecord, ProcessorImpl, SourceProcessor } from "../../sdk.js";
import { debeziumEncoder, millraceEncoder, pgTimeToIso, type ChangeEncoder, type ChangeTx } from "./changes.js";
import { lsnToNumber, numberToLsn } from "./lsn.js";
import { createSlot, ReplicationStream, replicationClient } from "./replication.js";
import { SnapshotReader } from "./snapshot.js";
import { checkServer, describeTables, dropSlot, ensurePublication, idleSlots, slotNameFor, slotPosition, type CapturedTable } from "./setup.js";
import { outboxEncoder, resolveLayout, splitFailures } from "./outbox.js";
import { avroParserFor, jsonTextColumns, relationAvro, withAvroSchema, type RelationAvro } from "./avro-schema.js";
import { capturedTables, spec, type PostgresCdcConfig } from "./spec.js";
import { parserFor } from "./values.js";

const MAX_WAIT_MS = 250;
/** buffered changes above which the stream stops reading (the WAL waits in the slot), and below which it reads again */
const PAUSE_AT = 50_000;
const RESUME_AT = 10_000;
/**
 * The most changes of one transaction held before its commit: a larger one goes out in parts of
 * this many (same txId), so one huge transaction cannot fill the engine's memory. Its checkpoint
 * moves only at its commit, so a crash in the middle repeats its earlier parts.
 */
export const MAX_TRANSACTION_PART = 20_000;

/** A committed transaction read from the stream, waiting to be polled. */
interface ReadyTx {
  records: MRecord[];
  /** its commit record's end: the position confirmed once it is written (none: a part of a transaction still open) */
  end?: number;
}

export const impl: ProcessorImpl<PostgresCdcConfig> = {
  type: spec.type,
  create(config, ctx): SourceProcessor {
    const c = parseConfig(spec, config);
    const { config: clientConfig, secrets } = pgTarget(c.url, ctx);
    const slot = slotNameFor(ctx.flowId, ctx.nodeId);
    const publication = c.publication ?? slot;
    const say = (e: unknown) => redact(pgMessage(e), secrets);
    const outbox = c.outbox;
    // an outbox's existing rows are events already sent (or about to be deleted): not emitted again unless asked
    const snapshotMode = c.snapshot ?? (outbox ? "never" : "initial");

    let state: "setup" | "snapshot" | "stream" = "setup";
    let closed = false;
    let failures = 0;
    let nextTry = 0;
    let encode: ChangeEncoder = millraceEncoder();
    let tablesByName = new Map<string, CapturedTable>();

    /** the checkpoint open() got: transactions ending at or before it were written already */
    let resumeFrom: number | undefined;
    /** end of the newest transaction taken from the stream (replays up to it are skipped) */
    let lastQueued = 0;
    /** the newest position the runner acknowledged */
    let acknowledged = 0;
    /** a position with nothing to write before it, to return as a checkpoint (keepalives, the slot's start) */
    let progress = 0;
    let returned = 0;

    let snapshot: { reader: SnapshotReader; tx: ChangeTx; point: number } | undefined;
    let stream: ReplicationStream | undefined;
    let streamFailure: Error | undefined;
    const relations = new Map<number, CapturedTable | undefined>();
    /** with avroSchema: each relation's schema as of its newest Relation message (a column added or dropped: a new one) */
    const avroOf = c.avroSchema && !outbox ? new Map<number, RelationAvro>() : undefined;
    /** with avroSchema: each snapshot table's schema, and how its columnTypes json values go back to text */
    const snapshotAvro = new Map<CapturedTable, { avro: RelationAvro; jsonText: ((rows: Record<string, unknown>[]) => void) | undefined }>();
    let open: { records: MRecord[]; tx: ChangeTx; xid: number; seen: number } | undefined;
    /** a transaction whose earlier parts went out: replayed after a reconnect, those changes are skipped */
    let partly: { xid: number; sent: number } | undefined;
    const ready: ReadyTx[] = [];
    let buffered = 0;
    let wake: (() => void) | undefined;

    const retryLater = (what: string, e: unknown) => {
      failures++;
      nextTry = Date.now() + Math.min(1000 * 2 ** Math.min(failures - 1, 5), 30_000);
      ctx.log("warn", `postgres-cdc ${ctx.nodeId}: ${what} failed (${say(e)}); trying again in ${Math.round((nextTry - Date.now()) / 1000)} s`);
    };

    const setUp = async () => {
      const admin = new pg.Client(clientConfig);
      admin.on("error", () => {}); // a dropped session fails the query at hand, which reports it
      await admin.connect();
      try {
        await checkServer(admin);
        const tables = await describeTables(admin, capturedTables(c), c.keys, c.columnTypes);
        for (const t of tables) {
          if (outbox) break; // only inserts are published and read: neither key nor replica identity matters
          if (c.publication === undefined && t.replicaIdentity === "default" && !t.hasPrimaryKey) {
            // published without a replica identity, the application's own UPDATEs and DELETEs of it would fail
            throw new Error(`postgres-cdc: table ${t.name} has no primary key: publishing it would make its UPDATEs and DELETEs fail in the database; first run ALTER TABLE ${t.name} REPLICA IDENTITY FULL (and name its key columns in keys)`);
          }
          if (t.keyColumns.length === 0) ctx.log("warn", `postgres-cdc ${ctx.nodeId}: table ${t.name} has no primary key: its records have no key (give it one, or name its key columns in keys)`);
          if (t.replicaIdentity === "nothing") ctx.log("warn", `postgres-cdc ${ctx.nodeId}: table ${t.name} has REPLICA IDENTITY NOTHING: its updates and deletes are not published (ALTER TABLE … REPLICA IDENTITY DEFAULT or FULL)`);
        }
        tablesByName = new Map(tables.map((t) => [t.name, t]));
        if (outbox) encode = outboxEncoder(resolveLayout(outbox, tables[0]!), ctx.nodeId);
        else if (c.envelope === "debezium") {
          const db = (await admin.query<{ db: string }>("SELECT current_database() AS db")).rows[0].db;
          encode = debeziumEncoder(ctx.flowId, db);
        }
        await ensurePublication(admin, publication, c.publication === undefined, tables, outbox !== undefined);
        let position = await slotPosition(admin, slot);
        if (position !== undefined && resumeFrom === undefined && snapshotMode === "initial") {
          // a slot without a checkpoint is one whose snapshot never finished: that snapshot is gone, start over
          ctx.log("info", `postgres-cdc ${ctx.nodeId}: slot ${slot} has no finished snapshot; dropping it and taking the snapshot again`);
          await dropSlot(admin, slot);
          position = undefined;
        }
        if (position === undefined) {
          if (resumeFrom !== undefined) ctx.log("warn", `postgres-cdc ${ctx.nodeId}: replication slot ${slot} is gone (dropped by someone?): created again; changes committed while it was missing are not captured`);
          const repl = await replicationClient(clientConfig);
          try {
            const created = await createSlot(repl, slot, snapshotMode === "initial");
            ctx.log("info", `postgres-cdc ${ctx.nodeId}: created replication slot ${slot} at ${numberToLsn(created.consistentPoint)} (publication ${publication})`);
            if (created.snapshotName) {
              const parse = avroOf ? (oid: number, name?: string) => avroParserFor(oid, name, undefined) : undefined;
              const reader = await SnapshotReader.open(clientConfig, created.snapshotName, tables, c.snapshotChunkRows, parse);
              const tx: ChangeTx = { lsn: numberToLsn(created.consistentPoint), lsnNumber: created.consistentPoint, txId: null, commitTime: new Date().toISOString() };
              snapshot = { reader, tx, point: created.consistentPoint };
              state = "snapshot";
              return;
            }
            progress = created.consistentPoint;
          } finally {
            await repl.end().catch(() => {});
          }
        }
        state = "stream";
        await reportIdleSlots(admin);
      } finally {
        await admin.end().catch(() => {});
      }
    };

    /** Other flows' slots nobody reads (a flow deleted while its engine was down): they fill the disk. */
    const reportIdleSlots = async (admin: pg.Client) => {
      const idle = await idleSlots(admin, slot);
      if (idle.length) {
        ctx.log("warn", `postgres-cdc ${ctx.nodeId}: Millrace replication slots on this server that no engine reads: ${idle.map((s) => `${s.name} (holding ${s.held} of WAL)`).join(", ")}. A slot left behind keeps WAL on the database's disk: drop those of flows that are gone (SELECT pg_drop_replication_slot('…'))`);
      }
    };

    /** false for a change of a transaction's part that went out already (replayed after a reconnect) */
    const taking = (tx: { xid: number; seen: number }): boolean => {
      tx.seen++;
      return !(partly && partly.xid === tx.xid && tx.seen <= partly.sent);
    };

    /** Holds a change of the open transaction; a full part goes out at once, its checkpoint still the one before the transaction. */
    const hold = (tx: { records: MRecord[]; xid: number; seen: number }, record: MRecord) => {
      tx.records.push(record);
      if (tx.records.length < MAX_TRANSACTION_PART) return;
      ready.push({ records: tx.records });
      buffered += tx.records.length;
      partly = { xid: tx.xid, sent: tx.seen };
      tx.records = [];
      if (buffered >= PAUSE_AT) stream?.pause();
      wake?.();
    };

    /** With avroSchema, the change's record with its relation's schema. */
    const withSchema = (record: MRecord, relationOid: number): MRecord => {
      if (!avroOf) return record;
      const avro = avroOf.get(relationOid);
      return avro ? withAvroSchema(record, avro) : record;
    };

    const onMessage = (msg: Pgoutput.Message) => {
      switch (msg.tag) {
        case "relation":
          // a relation is (re)sent before its first change and after its columns change
        {
          const table = tablesByName.get(`${msg.schema}.${msg.name}`);
          if (avroOf) {
            for (const col of msg.columns) col.parser = avroParserFor(col.typeOid, col.typeName, table?.overrides.get(col.name));
            const columns = msg.columns.map((col) => ({ name: col.name, typeOid: col.typeOid, typeName: col.typeName, override: table?.overrides.get(col.name) }));
            avroOf.set(msg.relationOid, relationAvro(c.envelope, msg.schema, msg.name, columns));
          } else for (const col of msg.columns) col.parser = table?.overrides.get(col.name) ?? parserFor(col.typeOid, col.typeName);
          relations.set(msg.relationOid, table);
          return;
        }
        case "begin":
          open = {
            records: [],
            tx: { lsn: msg.commitLsn ?? "0/0", lsnNumber: msg.commitLsn ? lsnToNumber(msg.commitLsn) : 0, txId: msg.xid, commitTime: pgTimeToIso(msg.commitTime as bigint) },
            xid: msg.xid,
            seen: 0,
          };
          return;
        case "insert": {
          const table = relations.get(msg.relation.relationOid);
          if (table && open && taking(open)) hold(open, withSchema(encode("c", null, msg.new, table, open.tx), msg.relation.relationOid));
          return;
        }
        case "update": {
          const table = relations.get(msg.relation.relationOid);
          if (table && open && !outbox && taking(open)) hold(open, withSchema(encode("u", msg.old ?? msg.key ?? null, msg.new, table, open.tx), msg.relation.relationOid));
          return;
        }
        case "delete": {
          const table = relations.get(msg.relation.relationOid);
          if (table && open && !outbox && taking(open)) hold(open, withSchema(encode("d", msg.old ?? msg.key ?? null, null, table, open.tx), msg.relation.relationOid));
          return;
        }
        case "truncate":
          ctx.log("warn", `postgres-cdc ${ctx.nodeId}: TRUNCATE of ${msg.relations.map((r) => `${r.schema}.${r.name}`).join(", ")} is not captured (no records for the removed rows)`);
          return;
        case "commit": {
          const end = msg.commitEndLsn ? lsnToNumber(msg.commitEndLsn) : 0;
          const tx = open;
          open = undefined;
          if (partly && tx?.xid === partly.xid) partly = undefined;
          if (!tx || end <= lastQueued) return; // replayed after a reconnect or restart: written already
          lastQueued = end;
          ready.push({ records: tx.records, end });
          buffered += tx.records.length;
          if (buffered >= PAUSE_AT) stream?.pause();
          wake?.();
          return;
        }
        default:
          return;
      }
    };

    /** The flow stopped for good: its slot would keep WAL on the database's disk for nobody. */
    const dropOwned = async () => {
      const admin = new pg.Client(clientConfig);
      admin.on("error", () => {}); // a dropped session fails the query at hand, which reports it
      try {
        await admin.connect();
        // the walsender of the stream just closed may take a moment to let go of the slot
        for (let attempt = 0; ; attempt++) {
          try {
            await dropSlot(admin, slot);
            break;
          } catch (e) {
            if (attempt >= 20) throw e;
            await sleep(250);
          }
        }
        if (c.publication === undefined) await admin.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(publication)}`);
        ctx.log("info", `postgres-cdc ${ctx.nodeId}: the flow stopped for good: dropped replication slot ${slot}${c.publication === undefined ? ` and publication ${publication}` : ""}`);
      } catch (e) {
        ctx.log("error", `postgres-cdc ${ctx.nodeId}: could not drop replication slot ${slot} (${say(e)}); it keeps WAL on the database's disk until dropped: SELECT pg_drop_replication_slot('${slot}')`);
      } finally {
        await admin.end().catch(() => {});
      }
    };

    const startStream = async () => {
      streamFailure = undefined;
      open = undefined;
      const s = await ReplicationStream.start(clientConfig, slot, publication, acknowledged, {
        message: onMessage,
        keepalive: (walEnd) => {
          // everything before walEnd was sent: with nothing pending, the slot may move there
          if (!open && ready.length === 0 && walEnd > Math.max(lastQueued, progress)) progress = walEnd;
        },
        ended: (error) => {
          if (stream !== s) return;
          stream = undefined;
          streamFailure = error;
          wake?.();
        },
      });
      stream = s;
    };

    const takeReady = (max: number): { records: MRecord[]; checkpoint?: number } => {
      // whole transactions only, so a checkpoint is always a commit and a transaction one batch
      let records = ready[0].records;
      let taken = 1;
      if (records.length < max) {
        let total = records.length;
        while (taken < ready.length && total + ready[taken].records.length <= max) total += ready[taken++].records.length;
        if (taken > 1) {
          records = new Array<MRecord>(total);
          let at = 0;
          for (let i = 0; i < taken; i++) for (const r of ready[i].records) records[at++] = r;
        }
      }
      // the last commit among them (a part of a transaction still open moves nothing)
      let checkpoint: number | undefined;
      for (let i = taken - 1; i >= 0 && checkpoint === undefined; i--) checkpoint = ready[i].end;
      ready.splice(0, taken);
      buffered -= records.length;
      if (buffered < RESUME_AT) stream?.resume();
      if (checkpoint === undefined) return { records };
      returned = checkpoint;
      return { records, checkpoint };
    };

    const pollSnapshot = async (): Promise<{ records: MRecord[]; checkpoint?: number }> => {
      const s = snapshot!;
      try {
        const chunk = await s.reader.next();
        if (chunk) {
          const records = new Array<MRecord>(chunk.rows.length);
          if (avroOf) {
            let schema = snapshotAvro.get(chunk.table);
            if (!schema) {
              const columns = chunk.columns.map((col) => ({ ...col, override: chunk.table.overrides.get(col.name) }));
              schema = { avro: relationAvro(c.envelope, chunk.table.schema, chunk.table.table, columns), jsonText: jsonTextColumns(columns) };
              snapshotAvro.set(chunk.table, schema);
            }
            schema.jsonText?.(chunk.rows);
            for (let i = 0; i < chunk.rows.length; i++) records[i] = withAvroSchema(encode("r", null, chunk.rows[i], chunk.table, s.tx), schema.avro);
          } else for (let i = 0; i < chunk.rows.length; i++) records[i] = encode("r", null, chunk.rows[i], chunk.table, s.tx);
          // the last rows carry the snapshot's end: in exactly-once mode it commits with them
          if (chunk.last) return { records, checkpoint: snapshotDone(s) };
          return { records };
        }
      } catch (e) {
        await s.reader.close();
        snapshot = undefined;
        state = "setup";
        retryLater("reading the snapshot (it starts over)", e);
        return { records: [] };
      }
      return { records: [], checkpoint: snapshotDone(s) };
    };

    const snapshotDone = (s: { point: number }): number => {
      snapshot = undefined;
      state = "stream";
      lastQueued = s.point;
      returned = s.point;
      ctx.log("info", `postgres-cdc ${ctx.nodeId}: snapshot read; streaming changes from ${numberToLsn(s.point)}`);
      return s.point;
    };

    const source: SourceProcessor = {
      open(checkpoint) {
        if (typeof checkpoint === "number" && Number.isSafeInteger(checkpoint) && checkpoint > 0) {
          resumeFrom = checkpoint;
          lastQueued = checkpoint;
          returned = checkpoint;
        }
      },
      async poll(max) {
        if (closed) return { records: [] };
        if (Date.now() < nextTry) {
          await sleep(Math.min(nextTry - Date.now(), MAX_WAIT_MS), ctx.signal);
          return { records: [] };
        }
        if (state === "setup") {
          try {
            await setUp();
            failures = 0;
          } catch (e) {
            retryLater("setting up (publication, slot)", e);
            return { records: [] };
          }
        }
        if (state === "snapshot") return pollSnapshot();
        if (!stream && ready.length === 0) {
          if (streamFailure) ctx.log("warn", `postgres-cdc ${ctx.nodeId}: the replication stream ended (${say(streamFailure)}); reconnecting from the last confirmed position`);
          try {
            await startStream();
            failures = 0;
          } catch (e) {
            retryLater("starting replication", e);
            return { records: [] };
          }
        }
        if (ready.length === 0) {
          await new Promise<void>((resolve) => {
            const t = setTimeout(done, MAX_WAIT_MS);
            function done() {
              clearTimeout(t);
              ctx.signal.removeEventListener("abort", done);
              wake = undefined;
              resolve();
            }
            wake = done;
            ctx.signal.addEventListener("abort", done);
          });
        }
        if (ready.length > 0) return takeReady(Math.max(1, Math.floor(max)));
        if (progress > returned) {
          returned = progress;
          return { records: [], checkpoint: progress };
        }
        return { records: [], checkpoint: returned || undefined };
      },
      acknowledged(checkpoint) {
        if (typeof checkpoint !== "number" || checkpoint <= acknowledged) return;
        acknowledged = checkpoint;
        stream?.confirm(checkpoint);
      },
      async close(opts) {
        closed = true;
        wake?.();
        await snapshot?.reader.close();
        await stream?.close();
        stream = undefined;
        if (opts?.forGood) await dropOwned();
      },
    };
    if (outbox) {
      // rows that cannot make an event leave through failure, in the same batch (and transaction) as the rest
      const pollChanges = source.poll.bind(source);
      source.poll = async (max) => {
        const polled = await pollChanges(max);
        return polled.records.length ? { ...splitFailures(polled.records), checkpoint: polled.checkpoint } : polled;
      };
    }
    return source;
  },
};
