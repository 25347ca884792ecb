import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { readPrivateFile, writePrivateFile } from "./private-file.js";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { startPasswordGate } from "./embedded-postgres-gate.js";

/**
 * Zero-setup Postgres for `pnpm start`: PGlite (Postgres compiled to WASM) with its data in
 * `dataDir`, served over the Postgres wire protocol on a loopback port so Prisma and pg
 * talk to it like to any server. It serves one database whatever name is asked for.
 *
 * PGlite and pglite-socket (0.2) have no authentication (every login is answered as trusted), so
 * pglite-socket listens on a Unix socket in a private temporary directory (mode 0700: only this
 * user can connect), and the loopback port is a password gate (embedded-postgres-gate.ts) that
 * connects a client through only after it sent the password. The password is generated on first
 * start into a file readable by this user only (PG_PASSWORD_FILE, next to the data directory)
 * and reused later. The URL returned carries it: never log it.
 */
const LOOPBACK = "127.0.0.1";
const MAX_CONNECTIONS = 50;
/** The password file's name, in the directory that holds the data directory. */
export const PG_PASSWORD_FILE = "pg-password";

export interface EmbeddedPostgres {
  /** a connection URL with the password in it: for the engine only, never for a log */
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(dataDir: string, port: number, passwordFile = join(dirname(dataDir), PG_PASSWORD_FILE)): Promise<EmbeddedPostgres> {
  const password = loadOrCreatePassword(passwordFile);
  mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  const socketDir = mkdtempSync(join(tmpdir(), "millrace-pg-")); // created 0700
  const backendPath = process.platform === "win32" ? `\\\\.\\pipe\\millrace-pg-${randomBytes(16).toString("hex")}` : join(socketDir, ".s.PGSQL");
  // more room than the gate allows: a closed client's backend connection ends a moment later
  const backend = new PGLiteSocketServer({ db, path: backendPath, maxConnections: 2 * MAX_CONNECTIONS });
  const stopBackend = async () => {
    await backend.stop();
    await db.close();
    rmSync(socketDir, { recursive: true, force: true });
  };
  try {
    await backend.start();
    const gate = await startPasswordGate({ host: LOOPBACK, port, password, connectBackend: () => connect(backendPath), maxConnections: MAX_CONNECTIONS });
    return {
      url: `postgres://postgres:${encodeURIComponent(password)}@${LOOPBACK}:${gate.port}/postgres?sslmode=disable`,
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

/** The password in `path`, or a new one (32 random bytes, base64url) written there with mode 0600. */
export function loadOrCreatePassword(path: string): string {
  if (existsSync(path)) {
    const password = readPrivateFile(path, "the embedded Postgres password file").trim();
    if (password === "") throw new Error(`the embedded Postgres password file ${path} is empty: delete it and a new password is generated on the next start`);
    return password;
  }
  const password = randomBytes(32).toString("base64url");
  writePrivateFile(path, password + "\n");
  return password;
}
