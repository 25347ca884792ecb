import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@millrace/testkit";
import { query } from "./test-support/query.js";
import { startPasswordGate } from "./gate.js";
import { loadOrCreatePassword } from "./password.js";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./server.js";

const STARTUP_MS = 60_000;

async function connectError(connectionString: string): Promise<{ code?: string; message: string }> {
  const client = new pg.Client({ connectionString, ssl: false });
  try {
    await client.connect();
  } catch (e) {
    return e as { code?: string; message: string };
  } finally {
    await client.end().catch(() => {});
  }
  throw new Error("connected without the right password");
}

function withPassword(url: string, password: string | undefined): string {
  const u = new URL(url);
  u.password = password ?? "";
  return u.toString();
}

/** A raw socket that collects everything the server sends. */
async function rawSocket(port: number): Promise<{ socket: Socket; received: () => Buffer; waitFor: (test: (b: Buffer) => boolean) => Promise<Buffer> }> {
  const socket = connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  let received = Buffer.alloc(0);
  socket.on("data", (d: Buffer) => (received = Buffer.concat([received, d])));
  const waitFor = async (test: (b: Buffer) => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!test(received)) {
      if (Date.now() > deadline) throw new Error(`timed out; received ${received.toString("hex")}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return received;
  };
  return { socket, received: () => received, waitFor };
}

function startupMessage(user: string): Buffer {
  const body = Buffer.from(`user\0${user}\0database\0postgres\0\0`, "utf8");
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + body.length, 0);
  head.writeInt32BE(196608, 4);
  return Buffer.concat([head, body]);
}

function passwordMessage(password: string): Buffer {
  const body = Buffer.from(`${password}\0`, "utf8");
  const head = Buffer.alloc(5);
  head[0] = 0x70;
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

describe("embedded Postgres", () => {
  let dir: string;
  let port: number;
  let pgServer: EmbeddedPostgres;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "millrace-embedded-pg-"));
    port = await freePort();
    pgServer = await startEmbeddedPostgres(join(dir, "pgdata"), port);
  }, STARTUP_MS);

  afterAll(async () => {
    await pgServer?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, STARTUP_MS);

  it("serves the right password (the hand-off to pglite-socket works)", async () => {
    expect(await query(pgServer.url, "select 1 as one")).toEqual([{ one: 1 }]);
    expect(pgServer.url).toContain(`:${port}/`);
  });

  it("refuses a wrong password with 28P01", async () => {
    const e = await connectError(withPassword(pgServer.url, "wrong"));
    expect(e.code).toBe("28P01");
    expect(e.message).toContain('password authentication failed for user "postgres"');
  });

  it("refuses a client that sends no password", async () => {
    const e = await connectError(withPassword(pgServer.url, undefined));
    expect(e.code).toBe("28P01");
  });

  it("answers an SSLRequest with N, then authenticates a startup message sent in pieces", async () => {
    const password = new URL(pgServer.url).password;
    const { socket, waitFor } = await rawSocket(port);
    const ssl = Buffer.alloc(8);
    ssl.writeInt32BE(8, 0);
    ssl.writeInt32BE(80877103, 4);
    socket.write(ssl);
    expect((await waitFor((b) => b.length >= 1)).toString("latin1")).toBe("N");
    const startup = startupMessage("postgres");
    socket.write(startup.subarray(0, 3));
    await new Promise((r) => setTimeout(r, 20));
    socket.write(startup.subarray(3));
    // AuthenticationCleartextPassword
    expect((await waitFor((b) => b.length >= 10)).subarray(1, 10)).toEqual(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
    const pw = passwordMessage(password);
    socket.write(pw.subarray(0, 7));
    await new Promise((r) => setTimeout(r, 20));
    socket.write(pw.subarray(7));
    // then what the backend says to the replayed startup message, up to ReadyForQuery
    const all = await waitFor((b) => b.includes(Buffer.from([0x5a, 0, 0, 0, 5])));
    expect(all.subarray(10, 19)).toEqual(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0])); // AuthenticationOk
    socket.destroy();
  });

  it("refuses an oversized startup message without reading it", async () => {
    const { socket, waitFor } = await rawSocket(port);
    const head = Buffer.alloc(8);
    head.writeInt32BE(1_000_000, 0);
    head.writeInt32BE(196608, 4);
    socket.write(head);
    const reply = await waitFor((b) => b.length > 0 && b.includes(0x00, b.length - 1));
    expect(reply[0]).toBe(0x45); // ErrorResponse
    await new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once("close", () => resolve())));
  });

  it("keeps the password (file mode 0600) and the data across a restart", async () => {
    const file = join(dir, "pg-password");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const password = readFileSync(file, "utf8").trim();
    expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new URL(pgServer.url).password).toBe(password);
    await query(pgServer.url, "create table kept (v int); insert into kept values (42)");
    await pgServer.stop();
    pgServer = await startEmbeddedPostgres(join(dir, "pgdata"), port);
    expect(new URL(pgServer.url).password).toBe(password);
    expect(await query(pgServer.url, "select v from kept")).toEqual([{ v: 42 }]);
  }, STARTUP_MS);

  it("refuses a client that sends no password in time, never reaching the backend", async () => {
    let backendReached = false;
    const gate = await startPasswordGate({
      host: "127.0.0.1",
      port: 0,
      password: "secret",
      maxConnections: 5,
      authTimeoutMs: 200,
      connectBackend: () => {
        backendReached = true;
        return connect(1, "127.0.0.1");
      },
    });
    try {
      const { socket, waitFor } = await rawSocket(gate.port);
      socket.write(startupMessage("postgres"));
      const reply = await waitFor((b) => b.length > 9 && b[9] === 0x45);
      expect(reply.subarray(0, 9)).toEqual(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
      expect(reply.subarray(9).toString("latin1")).toContain("C08006");
      await new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once("close", () => resolve())));
      expect(backendReached).toBe(false);
    } finally {
      await gate.close();
    }
  });

  it("refuses a password file other users can read", () => {
    const file = join(dir, "open-password");
    loadOrCreatePassword(file);
    chmodSync(file, 0o644);
    expect(() => loadOrCreatePassword(file)).toThrow(/readable by other users.*chmod 600/);
  });
});
