import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "@millrace/testkit";
import { query } from "./test-support/query.js";
import { withEmbeddedPostgres, type Health } from "../health.js";
import { createLogger } from "../log.js";
import { registerEmbeddedPostgresMetrics } from "../metrics/index.js";
import { EmbeddedPostgresProcess } from "./supervisor.js";

const PARENT = fileURLToPath(new URL("./test-support/parent.ts", import.meta.url));
const TEST_MS = 120_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, test: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A logger whose lines the test reads. */
function capturedLog() {
  const lines: { level: number; msg: string }[] = [];
  const log = createLogger({ destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
  return { log, lines };
}

describe("the embedded Postgres in its own process", () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  }, TEST_MS);

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), "millrace-pg-process-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  it(
    "comes back after SIGKILL on the same URL with every acknowledged write, while this process (the engine) runs on; reported in metrics and health",
    async () => {
      const dataDir = join(tempDir(), "pgdata");
      const { log, lines } = capturedLog();
      const server = await EmbeddedPostgresProcess.start({ dataDir, port: await freePort(), log, restartDelayMs: 100, memoryIntervalMs: 200 });
      cleanups.push(() => server.stop());
      const first = server.status();
      expect(first).toMatchObject({ up: true, restarts: 0, dataDir });
      expect(first.pid).not.toBe(process.pid);
      expect(first.rssBytes).toBeGreaterThan(10 * 1024 * 1024);

      const pool = new pg.Pool({ connectionString: server.url, ssl: false, max: 2 });
      pool.on("error", () => {}); // idle clients lose their server when it is killed
      cleanups.push(() => pool.end());
      await pool.query("create table kept (v int)");
      // writes keep going while the process is killed: each one acknowledged must be there afterwards
      let acknowledged = 0;
      let writing = true;
      const writer = (async () => {
        while (writing) {
          try {
            await pool.query("insert into kept values ($1)", [acknowledged + 1]);
            acknowledged++;
          } catch {
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      })();
      await until("some writes are acknowledged", () => acknowledged >= 20);
      process.kill(first.pid!, "SIGKILL");
      await until("the old process is gone", () => !alive(first.pid!));
      await until("the process is back", () => server.status().up && server.status().restarts === 1);
      const ackedBeforeRestart = acknowledged;
      writing = false;
      await writer;

      const back = server.status();
      expect(back.pid).not.toBe(first.pid);
      const [{ n }] = (await pool.query("select count(*)::int as n, max(v) as top from kept")).rows as { n: number }[];
      expect(n).toBeGreaterThanOrEqual(ackedBeforeRestart);
      expect(await query(server.url, "select 1 as one")).toEqual([{ one: 1 }]);

      const warning = lines.find((l) => l.level === 40 && l.msg.includes("was killed by SIGKILL"));
      expect(warning?.msg).toMatch(/starting it again in 0\.1 s \(the engine keeps running.*check its log lines above/);

      await until("its memory is reported again", () => (server.status().rssBytes ?? 0) > 10 * 1024 * 1024);
      const registry = new Registry();
      registerEmbeddedPostgresMetrics(registry, () => server.status());
      const text = await registry.metrics();
      expect(text).toMatch(/^millrace_embedded_postgres_up 1$/m);
      expect(text).toMatch(/^millrace_embedded_postgres_restarts_total 1$/m);
      expect(text).toMatch(/^millrace_embedded_postgres_resident_memory_bytes \d{8,}$/m);
      const health = withEmbeddedPostgres({ ok: true, status: "ok" } as Health, server.status());
      expect(health.embeddedPostgres).toMatchObject({ up: true, pid: back.pid, restarts: 1 });

      await server.stop();
      expect(alive(back.pid!)).toBe(false);
      expect(server.status()).toMatchObject({ up: false, pid: undefined, rssBytes: undefined });
      expect(await registry.metrics()).toMatch(/^millrace_embedded_postgres_up 0$/m);
    },
    TEST_MS,
  );

  it(
    "exits when its parent is killed with SIGKILL, leaving a data directory that opens again",
    async () => {
      const dataDir = join(tempDir(), "pgdata");
      const parent = spawn(process.execPath, ["--import", "tsx", PARENT, dataDir, String(await freePort())], { stdio: ["ignore", "pipe", "inherit"] });
      cleanups.push(() => parent.kill("SIGKILL"));
      let out = "";
      parent.stdout.on("data", (d: Buffer) => (out += d.toString()));
      await until("the parent started the database", () => /^READY /m.test(out) || parent.exitCode !== null);
      const { pid, url } = JSON.parse(/^READY (.*)$/m.exec(out)![1]!) as { pid: number; url: string };
      await query(url, "create table kept (v int); insert into kept values (42)");

      parent.kill("SIGKILL");
      await until("the database process is gone", () => !alive(pid), 15_000);

      const again = await EmbeddedPostgresProcess.start({ dataDir, port: 0, log: createLogger({ level: "silent" }) });
      cleanups.push(() => again.stop());
      expect(await query(again.url, "select v from kept")).toEqual([{ v: 42 }]);
    },
    TEST_MS,
  );
});
