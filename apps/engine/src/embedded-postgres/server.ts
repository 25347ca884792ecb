import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { startPasswordGate } from "./gate.js";
import { embeddedPostgresUrl, loadOrCreatePassword, LOOPBACK, PG_PASSWORD_FILE } from "./password.js";
import { keepTurnsWhole } from "./whole-turns.js";

/**
 * Zero-setup Postgres for `pnpm start`: PGlite (Postgres compiled to WASM) with its data in
 * `dataDir`, served over the Postgres wire protocol on a loopback port so Prisma and pg
 * talk to it like to any server. It serves one database whatever name is asked for.
 *
 * PGlite and pglite-socket (0.2) have no authentication (every login is answered as trusted), so
 * pglite-socket listens on a Unix socket in a private temporary directory (mode 0700: only this
 * user can connect), and the loopback port is a password gate (gate.ts) that
 * connects a client through only after it sent the password. The password is generated on first
 * start into a file readable by this user only (PG_PASSWORD_FILE, next to the data directory)
 * and reused later. The URL returned carries it: never log it. The engine runs this in a process
 * of its own (server-main.ts, kept up by supervisor.ts), so a crash of either spares the other.
 */
const MAX_CONNECTIONS = 50;
/**
 * The WAL kept between checkpoints (the engine asks for one every minute: maintenance.ts; PGlite
 * has no checkpointer): the server default, 1 GB, would be a gigabyte of a laptop's disk.
 */
const WAL_BOUNDS = ["-c", "max_wal_size=64MB", "-c", "min_wal_size=32MB"];

export interface EmbeddedPostgres {
  /** a connection URL with the password in it: for the engine only, never for a log */
  url: string;
  /** the gate's port (the one asked for, or the one the system chose for port 0) */
  port: number;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(dataDir: string, port: number, passwordFile = join(dirname(dataDir), PG_PASSWORD_FILE)): Promise<EmbeddedPostgres> {
  const password = loadOrCreatePassword(passwordFile);
  mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir, { startParams: [...PGlite.defaultStartParams, ...WAL_BOUNDS] });
  const socketDir = mkdtempSync(join(tmpdir(), "millrace-pg-")); // created 0700
  const backendPath = process.platform === "win32" ? `\\\\.\\pipe\\millrace-pg-${randomBytes(16).toString("hex")}` : join(socketDir, ".s.PGSQL");
  // more room than the gate allows: a closed client's backend connection ends a moment later
  const backend = new PGLiteSocketServer({ db, path: backendPath, maxConnections: 2 * MAX_CONNECTIONS });
  keepTurnsWhole(backend);
  const stopBackend = async () => {
    await backend.stop();
    await db.close();
    rmSync(socketDir, { recursive: true, force: true });
  };
  try {
    await backend.start();
    const gate = await startPasswordGate({ host: LOOPBACK, port, password, connectBackend: () => connect(backendPath), maxConnections: MAX_CONNECTIONS });
    return {
      url: embeddedPostgresUrl(password, gate.port),
      port: gate.port,
      async stop() {
        await gate.close();
        await stopBackend();
      },
    };
  } catch (e) {
    await stopBackend().catch(() => {});
    throw e;
  }
}
