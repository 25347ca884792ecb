import type { PGlite } from "@electric-sql/pglite";
import type { PGLiteSocketServer } from "@electric-sql/pglite-socket";

/**
 * pglite-socket (0.2.17) runs the messages of all its connections through one queue into PGlite's
 * single session, one message at a time, and keeps a connection's turn only inside a transaction.
 * Outside one, the extended protocol's Parse, Bind, Execute… of two connections interleave on the
 * session's one unnamed statement and portal: "bind message supplies 2 parameters, but prepared
 * statement requires 1", or a result handed to another connection's query (the engine's start
 * failed that way). This replaces the queue's scheduling so a connection keeps its turn until its
 * unit of work ends (Sync, a simple Query, or its startup message), as well as inside transactions.
 */
interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  resolve(bytes: number): void;
  reject(error: unknown): void;
  onData(data: Uint8Array): void;
}

interface QueryQueue {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  db: PGlite;
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const TERMINATE = 0x58; // 'X'
/** a startup message has no type byte: it begins with its length, whose first byte is 0 */
const STARTUP = 0x00;

export function endsUnitOfWork(message: Uint8Array): boolean {
  const type = message[0];
  return type === SYNC || type === QUERY || type === TERMINATE || type === STARTUP;
}

export function keepTurnsWhole(server: PGLiteSocketServer): void {
  const q = (server as unknown as { queryQueue?: QueryQueue }).queryQueue;
  if (!q || !Array.isArray(q.queue) || typeof q.processQueue !== "function" || typeof q.clearQueueForHandler !== "function") {
    throw new Error("@electric-sql/pglite-socket's query queue is not the one this engine schedules (a different version?): pin the version in apps/engine/package.json");
  }
  /** the connection in the middle of a unit of work: only its messages run until the unit ends */
  let owner: number | null = null;
  q.processQueue = async function processQueue(): Promise<void> {
    if (q.processing) return;
    q.processing = true;
    try {
      while (q.queue.length > 0) {
        const turn = owner ?? (q.db.isInTransaction() ? q.lastHandlerId : null);
        const index = turn === null ? 0 : q.queue.findIndex((m) => m.handlerId === turn);
        if (index === -1) break; // its next message is on its way: its enqueue runs the queue again
        const item = q.queue.splice(index, 1)[0]!;
        owner = endsUnitOfWork(item.message) ? null : item.handlerId;
        let bytes = 0;
        try {
          await q.db.runExclusive(() =>
            q.db.execProtocolRawStream(item.message, {
              onRawData: (data) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
        } catch (e) {
          owner = null;
          item.reject(e);
          continue;
        }
        q.lastHandlerId = item.handlerId;
        item.resolve(bytes);
      }
    } finally {
      q.processing = false;
    }
  };
  // a connection that goes mid-unit gives its turn back
  const clear = q.clearQueueForHandler.bind(q);
  q.clearQueueForHandler = (handlerId: number) => {
    clear(handlerId);
    if (owner !== handlerId) return;
    owner = null;
    void q.processQueue();
  };
}
