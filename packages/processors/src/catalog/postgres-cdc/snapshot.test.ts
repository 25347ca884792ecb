import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { CapturedTable } from "./setup.js";
import { SnapshotReader } from "./snapshot.js";

const message = (tag: string, body: Buffer = Buffer.alloc(0)) => {
  const head = Buffer.alloc(5);
  head.write(tag, 0, "latin1");
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const READY = message("Z", Buffer.from("I"));
const done = (command: string) => message("C", Buffer.from(`${command}\0`));

/**
 * A Postgres that answers every query with no rows, and drops the session once `dropAfter`
 * queries were answered (the server restarting while the reader waits between chunks).
 */
function server(dropAfter: number): Promise<net.Server> {
  const s = net.createServer((socket) => {
    let started = false;
    let answered = 0;
    socket.on("error", () => {});
    socket.on("data", (data) => {
      if (!started) {
        started = true;
        socket.write(Buffer.concat([message("R", Buffer.alloc(4)), READY]));
        return;
      }
      // a simple query ('Q'), or an extended one ending with Sync ('S')
      if (data[0] === 0x51) socket.write(Buffer.concat([done("OK"), READY]));
      else if (data.includes(0x53)) socket.write(Buffer.concat([message("1"), message("2"), message("n"), done("SELECT 0"), READY]));
      else return;
      if (++answered === dropAfter) setTimeout(() => socket.destroy(), 20);
    });
  });
  return new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve(s)));
}

const TABLE = { schema: "public", table: "t", name: "public.t", columns: ["id"], overrides: new Map() } as unknown as CapturedTable;

describe("SnapshotReader", () => {
  let s: net.Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve())));

  it("a session dropped between chunks fails the next read, without an error event reaching the process", async () => {
    s = await server(3);
    const port = (s.address() as net.AddressInfo).port;
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on("uncaughtException", onUncaught);
    try {
      const reader = await SnapshotReader.open({ host: "127.0.0.1", port, user: "u", database: "d", connectionTimeoutMillis: 2_000 }, "snap-1", [TABLE], 100);
      await new Promise((r) => setTimeout(r, 100));
      await expect(reader.next()).rejects.toThrow();
      await reader.close();
    } finally {
      process.off("uncaughtException", onUncaught);
    }
    expect(uncaught).toEqual([]);
  });
});
