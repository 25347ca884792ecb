import type { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { describe, expect, it } from "vitest";
import { keepTurnsWhole } from "./whole-turns.js";

/** A stand-in PGlite that records which connection's message ran, in order. */
function recordingDb() {
  const ran: string[] = [];
  const db = {
    isInTransaction: () => false,
    runExclusive: <T>(fn: () => Promise<T>) => fn(),
    execProtocolRawStream: async (message: Uint8Array, o: { onRawData(d: Uint8Array): void }) => {
      ran.push(new TextDecoder().decode(message.subarray(1)));
      o.onRawData(new Uint8Array([0x5a]));
    },
  };
  return { db: db as unknown as PGlite, ran };
}

interface Queue {
  enqueue(handlerId: number, message: Uint8Array, onData: (d: Uint8Array) => void): Promise<number>;
  clearQueueForHandler(handlerId: number): void;
}

/** A typed protocol message whose body names it ("A:parse"), for the record. */
const message = (type: string, name: string) => new Uint8Array([type.charCodeAt(0), ...new TextEncoder().encode(name)]);

function queueOf(db: PGlite, whole: boolean): Queue {
  const server = new PGLiteSocketServer({ db, path: "/nowhere" });
  if (whole) keepTurnsWhole(server);
  return (server as unknown as { queryQueue: Queue }).queryQueue;
}

async function interleaved(queue: Queue): Promise<void> {
  const sent = [
    [1, "P", "A:parse"],
    [2, "P", "B:parse"],
    [1, "B", "A:bind"],
    [2, "B", "B:bind"],
    [1, "E", "A:execute"],
    [2, "E", "B:execute"],
    [1, "S", "A:sync"],
    [2, "S", "B:sync"],
  ] as const;
  await Promise.all(sent.map(([handler, type, name]) => queue.enqueue(handler, message(type, name), () => {})));
}

describe("one connection's unit of work at a time on PGlite's single session", () => {
  it("runs a connection's Parse…Sync together though another connection's messages came in between", async () => {
    const { db, ran } = recordingDb();
    await interleaved(queueOf(db, true));
    expect(ran).toEqual(["A:parse", "A:bind", "A:execute", "A:sync", "B:parse", "B:bind", "B:execute", "B:sync"]);
  });

  it("(pglite-socket alone interleaves them, which is what broke the engine's start)", async () => {
    const { db, ran } = recordingDb();
    await interleaved(queueOf(db, false));
    expect(ran.slice(0, 2)).toEqual(["A:parse", "B:parse"]);
  });

  it("gives the turn back when its connection goes mid-unit", async () => {
    const { db, ran } = recordingDb();
    const queue = queueOf(db, true);
    await queue.enqueue(1, message("P", "A:parse"), () => {});
    const other = queue.enqueue(2, message("Q", "B:query"), () => {});
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toEqual(["A:parse"]); // B waits for A's Sync
    queue.clearQueueForHandler(1);
    await other;
    expect(ran).toEqual(["A:parse", "B:query"]);
  });
});
