import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { errorMessage, type Logger } from "../log.js";
import { embeddedPostgresUrl, loadOrCreatePassword, PG_PASSWORD_FILE } from "./password.js";
import type { EmbeddedPostgresSettings, FromEmbeddedPostgres, ToEmbeddedPostgres } from "./protocol.js";

export interface EmbeddedPostgresOptions {
  dataDir: string;
  /** the gate's loopback port; 0 picks a free one at the first start, kept for every restart (the URL must not change) */
  port: number;
  /** default: pg-password next to the data directory */
  passwordFile?: string;
  log: Logger;
  /** how long the process has to open its data directory and listen (ms, default 120,000: a first start creates the database) */
  readyTimeoutMs?: number;
  /** first wait before starting the process again after it died (ms, default 500), doubled each time up to 30 s */
  restartDelayMs?: number;
  /** how long the process must have run for its next death to count as a first one again (ms, default 60,000) */
  stableAfterMs?: number;
  /** how long it has to close PGlite after being asked to stop, before SIGKILL (ms, default 15,000) */
  stopGraceMs?: number;
  /** how often the process reports its resident memory (ms, default 5,000) */
  memoryIntervalMs?: number;
}

/** What /healthz and /metrics say of the embedded Postgres process. */
export interface EmbeddedPostgresStatus {
  /** serving (false while it restarts) */
  up: boolean;
  pid: number | undefined;
  /** its resident memory at its last report; undefined while it is down */
  rssBytes: number | undefined;
  /** times it was started again after it died */
  restarts: number;
  dataDir: string;
}

const SERVER_ENTRY = fileURLToPath(new URL("./server-main.ts", import.meta.url));
const MAX_RESTART_DELAY_MS = 30_000;

/** The engine's own node flags (heap limits, profiling) and a TypeScript loader when it has none (tests). */
function childExecArgv(): string[] {
  const own = process.execArgv;
  return own.some((a) => a.includes("tsx")) ? own : ["--import", "tsx", ...own];
}

/**
 * Runs the embedded Postgres in a child process (server-main.ts) and keeps it up: a process that
 * dies is started again with backoff on the same port and data directory, while the engine runs
 * on (its Postgres calls fail meanwhile and its pools reconnect). Started by `start()`, which
 * resolves once the database serves; `stop()` closes it (IPC, then SIGKILL after a grace).
 */
export class EmbeddedPostgresProcess {
  /** the connection URL: it carries the password, never log it */
  readonly url: string;
  private child: ChildProcess | undefined;
  private up = false;
  private rssBytes: number | undefined;
  private restarts = 0;
  private startedAt = 0;
  private nextDelayMs: number;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  private constructor(
    private readonly o: EmbeddedPostgresOptions,
    private readonly settings: EmbeddedPostgresSettings,
    password: string,
  ) {
    this.url = embeddedPostgresUrl(password, settings.port);
    this.nextDelayMs = o.restartDelayMs ?? 500;
  }

  /** Forks the process and waits until it serves; fails with its reason when it cannot start. */
  static async start(o: EmbeddedPostgresOptions): Promise<EmbeddedPostgresProcess> {
    const passwordFile = o.passwordFile ?? join(dirname(o.dataDir), PG_PASSWORD_FILE);
    // made here, so the engine and the process read the same one (the process never sends it)
    const password = loadOrCreatePassword(passwordFile);
    mkdirSync(o.dataDir, { recursive: true });
    const settings: EmbeddedPostgresSettings = { dataDir: o.dataDir, port: o.port, passwordFile, memoryIntervalMs: o.memoryIntervalMs ?? 5000 };
    const first = await launch(settings, o.readyTimeoutMs);
    const supervisor = new EmbeddedPostgresProcess(o, { ...settings, port: first.port }, password);
    supervisor.adopt(first.child, first.rssBytes);
    return supervisor;
  }

  status(): EmbeddedPostgresStatus {
    return { up: this.up, pid: this.child?.pid, rssBytes: this.up ? this.rssBytes : undefined, restarts: this.restarts, dataDir: this.o.dataDir };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once("exit", resolve));
    const killer = setTimeout(() => {
      this.o.log.warn({ pid: child.pid }, `the embedded Postgres (pid ${child.pid}) did not stop within ${(this.o.stopGraceMs ?? 15_000) / 1000} s: killed (PGlite recovers its data directory on the next start)`);
      child.kill("SIGKILL");
    }, this.o.stopGraceMs ?? 15_000);
    post(child, { type: "stop" });
    await gone;
    clearTimeout(killer);
  }

  /** Follows a process that serves: its memory reports, and its death. */
  private adopt(child: ChildProcess, rssBytes: number): void {
    this.child = child;
    this.up = true;
    this.rssBytes = rssBytes;
    this.startedAt = Date.now();
    child.on("message", (m: FromEmbeddedPostgres) => {
      if (m.type === "memory") this.rssBytes = m.rssBytes;
    });
    child.once("exit", (code, signal) => this.died(child, code, signal));
  }

  private died(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.up = false;
    if (this.stopping) return;
    const ranMs = Date.now() - this.startedAt;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    this.o.log.warn(
      { pid: child.pid, code, signal, ranMs, dataDir: this.o.dataDir },
      `the embedded Postgres process (pid ${child.pid}) ${how} after ${(ranMs / 1000).toFixed(1)} s; ${this.restartLater(ranMs)} (the engine keeps running; its database calls fail until then; check its log lines above, free memory (a kill by SIGKILL is often the out-of-memory killer) and free disk space where ${this.o.dataDir} is)`,
    );
  }

  /** Schedules the next start; says when, for the warning. */
  private restartLater(ranMs: number): string {
    if (ranMs >= (this.o.stableAfterMs ?? 60_000)) this.nextDelayMs = this.o.restartDelayMs ?? 500;
    const delay = this.nextDelayMs;
    this.nextDelayMs = Math.min(MAX_RESTART_DELAY_MS, delay * 2);
    this.restartTimer = setTimeout(() => void this.restart(), delay);
    return `starting it again in ${delay / 1000} s`;
  }

  private async restart(): Promise<void> {
    this.restartTimer = undefined;
    if (this.stopping) return;
    this.restarts++;
    this.startedAt = Date.now();
    try {
      const next = await launch(this.settings, this.o.readyTimeoutMs, (child) => (this.child = child));
      if (this.stopping) {
        post(next.child, { type: "stop" });
        return;
      }
      this.adopt(next.child, next.rssBytes);
      this.o.log.info({ pid: next.child.pid, restarts: this.restarts }, `the embedded Postgres is back (pid ${next.child.pid}, restart ${this.restarts})`);
    } catch (e) {
      this.child = undefined;
      if (this.stopping) return;
      this.o.log.warn({ err: e, dataDir: this.o.dataDir, port: this.settings.port }, `the embedded Postgres could not be started again: ${errorMessage(e)}; ${this.restartLater(Date.now() - this.startedAt)} (check that port ${this.settings.port} is free and ${this.o.dataDir} readable)`);
    }
  }
}

interface Launched {
  child: ChildProcess;
  port: number;
  rssBytes: number;
}

/** Forks server-main.ts and waits for "ready"; a process that fails, exits or stays silent too long is killed and the start rejected. */
function launch(settings: EmbeddedPostgresSettings, readyTimeoutMs = 120_000, forked?: (child: ChildProcess) => void): Promise<Launched> {
  const child = fork(SERVER_ENTRY, [], { execArgv: childExecArgv(), stdio: ["ignore", "inherit", "inherit", "ipc"] });
  forked?.(child);
  return new Promise((resolve, reject) => {
    let reason: string | undefined;
    const fail = (why: string) => {
      cleanup();
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      reject(new Error(why));
    };
    const onMessage = (m: FromEmbeddedPostgres) => {
      if (m.type === "failed") reason = m.error;
      else if (m.type === "ready") {
        cleanup();
        resolve({ child, port: m.port, rssBytes: m.rssBytes });
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`the embedded Postgres process ${signal ? `was killed by ${signal}` : `exited with code ${code}`} before it served${reason ? `: ${reason}` : " (its log lines above say why)"}`);
    const onError = (err: Error) => {
      // a fork that failed never runs: there is no exit to wait for
      if (child.pid === undefined) fail(`the embedded Postgres process could not be started: ${errorMessage(err)}`);
    };
    const timer = setTimeout(() => fail(`the embedded Postgres process did not serve within ${readyTimeoutMs / 1000} s: killed`), readyTimeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("close", onExit);
      child.off("error", onError);
    };
    child.on("message", onMessage);
    // "close", not "exit": it comes after the last IPC message, which may carry the reason
    child.once("close", onExit);
    child.on("error", onError);
    post(child, { type: "start", settings });
  });
}

function post(child: ChildProcess, message: ToEmbeddedPostgres): void {
  if (child.connected) child.send(message, () => {}); // a process that is gone is seen by its exit
}
