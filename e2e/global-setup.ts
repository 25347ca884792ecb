import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createTestDatabase, freePort, requireEnv, waitFor } from "@millrace/testkit";
import { apiToken, E2E_ADMIN_PASSWORD, sessionState } from "./helpers/auth.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Starts one real engine (own port, own database, the test run's Kafka) serving the built web app.
 * Tests reach it through MILLRACE_E2E_URL (see fixtures.ts), as `admin`: API calls with the token in
 * MILLRACE_E2E_TOKEN, pages with the session cookie in MILLRACE_E2E_STORAGE_STATE.
 */
export default async function globalSetup() {
  requireEnv("KAFKA_BROKERS");
  const db = await createTestDatabase("e2e");
  const port = await freePort();
  const engine: ChildProcess = spawn(join(root, "node_modules/.bin/tsx"), [join(root, "apps/engine/src/main.ts")], {
    cwd: root,
    env: { ...process.env, PORT: String(port), DATABASE_URL: db.url, MILLRACE_WEB_DIST: join(root, "apps/web/dist"), MILLRACE_ADMIN_PASSWORD: E2E_ADMIN_PASSWORD },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  process.env.MILLRACE_E2E_URL = url;
  process.env.MILLRACE_E2E_DATABASE_URL = db.url;
  await waitFor(async () => (await fetch(`${url}/healthz`)).ok, 90_000, `the engine at ${url}/healthz`);
  process.env.MILLRACE_E2E_TOKEN = await apiToken(url, "admin", E2E_ADMIN_PASSWORD);
  process.env.MILLRACE_E2E_STORAGE_STATE = JSON.stringify(await sessionState(url, "admin", E2E_ADMIN_PASSWORD));
  return async () => {
    if (engine.exitCode === null) {
      engine.kill("SIGTERM");
      await new Promise((r) => engine.once("exit", r));
    }
    await db.drop();
  };
}
