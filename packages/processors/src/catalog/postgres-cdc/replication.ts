import pg from "pg";
import { PgoutputPlugin, type Pgoutput } from "pg-logical-replication";
import { quoteIdent } from "../../pg-util.js";
import { lsnToNumber, numberToLsn } from "./lsn.js";
import { decodeRowChange, knownRelation, type KnownRelation } from "./row-changes.js";
import { SESSION_OPTIONS } from "./values.js";

/** What a replication connection reports to its owner, message by message, in WAL order. */
export interface StreamEvents {
  message(msg: Pgoutput.Message): void;
  /** the server's keepalive: everything before `walEnd` has been sent */
  keepalive(walEnd: number): void;
  /** the stream ended (error: why; undefined: closed on purpose) */
  ended(error: Error | undefined): void;
}

/** Opens a replication connection (walsender) in the session settings the value parsers expect. */
export async function replicationClient(config: pg.ClientConfig): Promise<pg.Client> {
  const client = new pg.Client({ ...config, replication: "database", options: SESSION_OPTIONS } as pg.ClientConfig);
  await client.connect();
  return client;
}

/**
 * Creates the slot on a replication connection. With `exportSnapshot` the returned snapshot name
 * stays importable only while `client` runs no other command: the caller imports it first.
 */
export async function createSlot(client: pg.Client, slot: string, exportSnapshot: boolean): Promise<{ consistentPoint: number; snapshotName: string | null }> {
  const res = await client.query<{ consistent_point: string; snapshot_name: string | null }>(
    `CREATE_REPLICATION_SLOT ${quoteIdent(slot)} LOGICAL pgoutput ${exportSnapshot ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT"}`,
  );
  const row = res.rows[0];
  return { consistentPoint: lsnToNumber(row.consistent_point), snapshotName: row.snapshot_name };
}

const KEEPALIVE_MS = 10_000;
/**
 * Confirmed positions reach the server at most this often: one status message per polled batch
 * cost a socket write each; the server only needs them to free WAL, and a restart resumes from
 * the runner's checkpoint, not from the slot's confirmed position.
 */
const CONFIRM_EVERY_MS = 100;
/** microseconds between the Unix epoch and Postgres' (2000-01-01) */
const PG_EPOCH_MS = 946_684_800_000;

interface InternalConnection {
  on(event: "copyData", listener: (msg: { chunk: Buffer }) => void): void;
  sendCopyFromChunk(chunk: Buffer): void;
  stream: { pause(): void; resume(): void };
}

/**
 * One START_REPLICATION stream of pgoutput messages. The slot's confirmed position is only what
 * `confirm` was given: the server keeps the WAL after it and replays from there on a reconnect.
 */
export class ReplicationStream {
  private confirmed: number;
  /** only its parser is used: the stream itself is run here, to confirm positions and pause reading */
  private readonly parser = new PgoutputPlugin({ protoVersion: 1, publicationNames: [] });
  /** the relations the parser was sent, for the row changes decoded here */
  private readonly relations = new Map<number, KnownRelation>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private paused = false;
  private statusSentAt = 0;
  private statusTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly client: pg.Client,
    private readonly connection: InternalConnection,
    confirmed: number,
  ) {
    this.confirmed = confirmed;
    this.timer = setInterval(() => this.sendStatus(false), KEEPALIVE_MS);
    this.timer.unref();
  }

  static async start(config: pg.ClientConfig, slot: string, publication: string, from: number, events: StreamEvents): Promise<ReplicationStream> {
    const client = await replicationClient(config);
    // pg keeps the protocol connection private; the copy stream of START_REPLICATION is only reachable there
    const connection = (client as unknown as { connection: InternalConnection }).connection;
    const stream = new ReplicationStream(client, connection, from);
    connection.on("copyData", ({ chunk }) => stream.onCopyData(chunk, events));
    client.on("error", () => {}); // reported through the query below
    const publications = quoteIdent(publication).replace(/'/g, "''");
    client
      .query(`START_REPLICATION SLOT ${quoteIdent(slot)} LOGICAL ${numberToLsn(from)} (proto_version '1', publication_names '${publications}')`)
      .then(
        () => events.ended(stream.closed ? undefined : new Error("the server ended the replication stream")),
        (e: Error) => events.ended(stream.closed ? undefined : e),
      );
    return stream;
  }

  private onCopyData(chunk: Buffer, events: StreamEvents): void {
    const kind = chunk[0];
    if (kind === 0x77) {
      // XLogData: start(8) end(8) time(8), then the pgoutput message; row changes (the bulk) are decoded here
      const tag = chunk[25];
      const change = tag === 0x49 || tag === 0x55 || tag === 0x44 ? decodeRowChange(chunk, 25, this.relations) : undefined;
      if (change) {
        events.message(change);
        return;
      }
      const msg = this.parser.parse(chunk.subarray(25));
      if (msg.tag === "relation") this.relations.set(msg.relationOid, knownRelation(msg));
      events.message(msg);
    } else if (kind === 0x6b) {
      // keepalive: walEnd(8) time(8) replyRequested(1)
      events.keepalive(chunk.readUInt32BE(1) * 2 ** 32 + chunk.readUInt32BE(5));
      if (chunk[17]) this.sendStatus(false);
    }
  }

  /** Moves the slot's confirmed position forward to `lsn` (never back); the server hears of it within CONFIRM_EVERY_MS. */
  confirm(lsn: number): void {
    if (lsn <= this.confirmed) return;
    this.confirmed = lsn;
    if (this.statusTimer) return; // the pending status carries the newest position
    const wait = this.statusSentAt + CONFIRM_EVERY_MS - Date.now();
    if (wait <= 0) {
      this.sendStatus(false);
      return;
    }
    this.statusTimer = setTimeout(() => this.sendStatus(false), wait);
    this.statusTimer.unref();
  }

  private sendStatus(replyRequested: boolean): void {
    clearTimeout(this.statusTimer);
    this.statusTimer = undefined;
    if (this.closed) return;
    this.statusSentAt = Date.now();
    const status = Buffer.alloc(34);
    status[0] = 0x72; // 'r': standby status update
    const hi = Math.floor(this.confirmed / 2 ** 32);
    const lo = this.confirmed - hi * 2 ** 32;
    for (const at of [1, 9, 17]) {
      status.writeUInt32BE(hi, at);
      status.writeUInt32BE(lo, at + 4);
    }
    status.writeBigInt64BE(BigInt(Date.now() - PG_EPOCH_MS) * 1000n, 25);
    status[33] = replyRequested ? 1 : 0;
    try {
      this.connection.sendCopyFromChunk(status);
    } catch {
      // a broken connection ends the stream; its error is reported there
    }
  }

  /** Stops reading from the server (its WAL stays in the slot) until `resume`. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.connection.stream.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.connection.stream.resume();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.sendStatus(false);
    this.closed = true;
    clearInterval(this.timer);
    await this.client.end().catch(() => {});
  }
}
