import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { replicationSlotsAt } from "./replication-slots.js";

/** A server that completes the startup of a Postgres session and closes the socket on the first query. */
function closesOnQuery(): Promise<net.Server> {
  const server = net.createServer((socket) => {
    let started = false;
    socket.on("error", () => {});
    socket.on("data", (data) => {
      if (!started) {
        started = true;
        // AuthenticationOk, then ReadyForQuery (idle)
        socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0, 0x5a, 0, 0, 0, 5, 0x49]));
      } else if (data[0] === 0x51 /* Q */) {
        socket.destroy();
      }
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

describe("replicationSlotsAt", () => {
  let server: net.Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it("rejects when the server drops the session mid-query, without an error event reaching the process", async () => {
    server = await closesOnQuery();
    const port = (server.address() as net.AddressInfo).port;
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on("uncaughtException", onUncaught);
    try {
      await expect(replicationSlotsAt({ host: "127.0.0.1", port, user: "u", database: "d", connectionTimeoutMillis: 2_000, query_timeout: 2_000 })).rejects.toThrow(/terminated|closed|ECONNRESET/i);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off("uncaughtException", onUncaught);
    }
    expect(uncaught).toEqual([]);
  });
});
