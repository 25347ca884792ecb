import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

/**
 * Zero-setup Postgres for `pnpm start`: PGlite (Postgres compiled to WASM) with its data in
 * `dataDir`, served over the Postgres wire protocol on a loopback port so Prisma and pg
 * talk to it like to any server. It serves one database whatever name is asked for.
 *
 * It has no authentication: pglite-socket (0.2) hands the client's startup message straight to
 * PGlite, whose single-user backend answers AuthenticationOk whatever user or password is sent,
 * and neither offers a password option. So it listens on the loopback address only, never on a
 * configurable host; the secrets it stores are sealed (see secrets/).
 */
const LOOPBACK = "127.0.0.1";

export async function startEmbeddedPostgres(dataDir: string, port: number): Promise<{ url: string; stop(): Promise<void> }> {
  mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db, port, host: LOOPBACK, maxConnections: 50 });
  await server.start();
  return {
    url: `postgres://postgres@${LOOPBACK}:${port}/postgres?sslmode=disable`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
