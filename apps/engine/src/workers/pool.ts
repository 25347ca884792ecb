import { fork, type ChildProcess } from "node:child_process";
import type { ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import type { NetworkPolicy } from "@millrace/processors";
import { AggregatorRegistry, Counter, Gauge, type Registry } from "prom-client";
import { errorMessage, type Logger } from "../log.js";
import { encodeSecretKey, type SecretBox } from "../secrets/index.js";
import type { FromWorker, MetricsSnapshot, ToWorker, WorkerSettings } from "./protocol.js";

export interface WorkerPoolOptions {
  /** workers to fork (the engine process itself is not counted) */
  count: number;
  /** the engine's id: worker ids are "<engineId>/w1"… */
  engineId: string;
  databaseUrl: string;
  kafkaBrokers: string[];
  network?: NetworkPolicy;
  /** the engine's data directory, for the tables its workers keep */
  stateDir?: string;
  /** the engine's key ring, sent to every worker (and again after a rotation) */
  secrets: SecretBox;
  log: Logger;
  /** the engine's metrics registry: the pool's own figures are registered there */
  registry?: Registry;
  /** how long a worker has to commit and leave its groups after SIGTERM before SIGKILL (ms, default 10,000) */
  stopGraceMs?: number;
  /** first wait before restarting a worker that died (ms, default 1,000), doubled each time up to 30 s */
  restartDelayMs?: number;
  /** how long a worker must have run for its next death to count as a first one again (ms, default 60,000) */
  stableAfterMs?: number;
  /** how long /metrics waits for a worker's figures (ms, default 2,000) */
  metricsTimeoutMs?: number;
  /** the worker program (default: worker-main.ts); tests use a stand-in */
  entry?: string;
}

export interface WorkerStatus {
  name: string;
  engineId: string;
  pid: number | undefined;
  ready: boolean;
  restarts: number;
}

interface Slot {
  name: string;
  /** this start's id: a restarted worker is a new engine_stats row, so the totals of the dead one still count */
  engineId: string;
  child?: ChildProcess;
  ready: boolean;
  restarts: number;
  startedAt: number;
  nextDelayMs: number;
  restartTimer?: NodeJS.Timeout;
  exited?: Promise<void>;
}

const WORKER_ENTRY = fileURLToPath(new URL("./worker-main.ts", import.meta.url));
const MAX_RESTART_DELAY_MS = 30_000;
const KEY_RING_CHECK_MS = 5_000;

/** The node flags a worker runs with: the engine's own (heap limits, profiling) and a TypeScript loader when the engine has none. */
function workerExecArgv(): string[] {
  const own = process.execArgv;
  return own.some((a) => a.includes("tsx")) ? own : ["--import", "tsx", ...own];
}

/**
 * The engine's runtime workers (MILLRACE_WORKERS − 1 child processes, each with its own event loop
 * and heap). Each joins the consumer groups of every deployed flow, so Kafka spreads a stage's
 * partitions over the engine and its workers. A worker that dies is started again with backoff; the
 * pool's close stops them (SIGTERM, then SIGKILL after a grace); /metrics merges their figures.
 */
export class WorkerPool {
  private readonly slots: Slot[];
  private closing = false;
  private keyRingTimer: NodeJS.Timeout | undefined;
  private sentKeyIds: string;
  private nextRequestId = 0;
  private readonly restartsCounter?: Counter<string>;

  constructor(private readonly o: WorkerPoolOptions) {
    this.slots = Array.from({ length: o.count }, (_, i) => ({ name: `w${i + 1}`, engineId: `${o.engineId}/w${i + 1}`, ready: false, restarts: 0, startedAt: 0, nextDelayMs: o.restartDelayMs ?? 1000 }));
    this.sentKeyIds = o.secrets.keyIds.join();
    if (o.registry) {
      const slots = this.slots;
      new Gauge({
        name: "millrace_workers_ready",
        help: "Runtime workers of this engine that run their share of the flows (MILLRACE_WORKERS − 1 when all are up)",
        registers: [o.registry],
        collect() {
          this.set(slots.filter((s) => s.ready).length);
        },
      });
      this.restartsCounter = new Counter({ name: "millrace_worker_restarts_total", help: "Runtime workers started again after they died", labelNames: ["worker"], registers: [o.registry] });
    }
  }

  start(): void {
    for (const slot of this.slots) this.launch(slot);
    this.keyRingTimer = setInterval(() => this.sendKeyRingIfChanged(), KEY_RING_CHECK_MS);
    this.keyRingTimer.unref();
    this.o.log.info({ workers: this.slots.map((s) => s.engineId) }, `starting ${this.slots.length} runtime worker(s) beside this process: consumer stages run on ${this.slots.length + 1} processes (edge topics need at least that many partitions to use them all)`);
  }

  status(): WorkerStatus[] {
    return this.slots.map((s) => ({ name: s.name, engineId: s.engineId, pid: s.child?.pid, ready: s.ready, restarts: s.restarts }));
  }

  private settings(slot: Slot): WorkerSettings {
    return { engineId: slot.engineId, name: slot.name, databaseUrl: this.o.databaseUrl, kafkaBrokers: this.o.kafkaBrokers, keys: this.keyRing(), network: this.o.network, ...(this.o.stateDir ? { stateDir: this.o.stateDir } : {}) };
  }

  private keyRing(): string[] {
    return this.o.secrets.ring().map(encodeSecretKey);
  }

  private launch(slot: Slot): void {
    // serialization "advanced": the network policy holds bigints
    const child = fork(this.o.entry ?? WORKER_ENTRY, [], { execArgv: workerExecArgv(), serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"] });
    slot.child = child;
    slot.ready = false;
    slot.startedAt = Date.now();
    slot.exited = new Promise((resolve) => {
      let done = false;
      const ended = (code: number | null, signal: NodeJS.Signals | null, err?: Error) => {
        if (done) return;
        done = true;
        resolve();
        this.ended(slot, child, code, signal, err);
      };
      child.once("exit", (code, signal) => ended(code, signal));
      child.once("error", (err) => {
        // a fork that failed never runs: there is no exit to wait for
        if (child.pid === undefined) ended(null, null, err);
        else this.o.log.warn({ err, worker: slot.name }, `runtime worker ${slot.name}: ${errorMessage(err)}`);
      });
    });
    child.on("message", (m: FromWorker) => {
      if (m.type !== "ready") return;
      slot.ready = true;
      this.o.log.info({ worker: slot.name, pid: child.pid }, `runtime worker ${slot.name} (pid ${child.pid}) is running`);
    });
    this.post(child, { type: "start", settings: this.settings(slot) });
  }

  private ended(slot: Slot, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, err?: Error): void {
    if (slot.child !== child) return;
    slot.child = undefined;
    slot.ready = false;
    if (this.closing) return;
    const ranMs = Date.now() - slot.startedAt;
    if (ranMs >= (this.o.stableAfterMs ?? 60_000)) slot.nextDelayMs = this.o.restartDelayMs ?? 1000;
    const delay = slot.nextDelayMs;
    slot.nextDelayMs = Math.min(MAX_RESTART_DELAY_MS, delay * 2);
    const how = err ? `could not be started (${errorMessage(err)})` : signal ? `was killed by ${signal}` : `exited with code ${code}`;
    this.o.log.error(
      { err, worker: slot.name, pid: child.pid, code, signal, ranMs, restartInMs: delay },
      `runtime worker ${slot.name} (pid ${child.pid ?? "none"}) ${how} after ${(ranMs / 1000).toFixed(1)} s; started again in ${delay / 1000} s (its partitions go to the other processes meanwhile; records it had not committed are processed again; its log lines above say why)`,
    );
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (this.closing) return;
      slot.restarts++;
      slot.engineId = `${this.o.engineId}/${slot.name}-r${slot.restarts}`;
      this.restartsCounter?.inc({ worker: slot.name });
      this.launch(slot);
    }, delay);
  }

  private post(child: ChildProcess, message: ToWorker): void {
    if (!child.connected) return;
    child.send(message, (e) => {
      if (e && child.connected) this.o.log.warn({ err: e, pid: child.pid }, `could not send "${message.type}" to runtime worker pid ${child.pid}: ${errorMessage(e)}`);
    });
  }

  private sendKeyRingIfChanged(): void {
    const ids = this.o.secrets.keyIds.join();
    if (ids === this.sentKeyIds) return;
    this.sentKeyIds = ids;
    // a worker started later gets the ring in its settings
    for (const s of this.slots) if (s.child) this.post(s.child, { type: "keys", keys: this.keyRing() });
  }

  /** Every ready worker's metrics; a worker that does not answer in time is left out of this scrape. */
  private async workerMetrics(): Promise<MetricsSnapshot[]> {
    const timeoutMs = this.o.metricsTimeoutMs ?? 2000;
    const ask = (child: ChildProcess) =>
      new Promise<MetricsSnapshot | undefined>((resolve) => {
        const requestId = this.nextRequestId++;
        const answered = (m: FromWorker) => {
          if (m.type !== "metrics" || m.requestId !== requestId) return;
          finish(m.metrics);
        };
        const finish = (metrics: MetricsSnapshot | undefined) => {
          clearTimeout(timer);
          child.off("message", answered);
          resolve(metrics);
        };
        const timer = setTimeout(() => finish(undefined), timeoutMs);
        child.on("message", answered);
        this.post(child, { type: "metrics", requestId });
      });
    const answers = await Promise.all(this.slots.flatMap((s) => (s.child && s.ready ? [ask(s.child)] : [])));
    return answers.filter((a): a is MetricsSnapshot => a !== undefined);
  }

  /**
   * The engine's metrics and its workers' in one exposition: each process's series carry its
   * `worker` label (`main` for the engine), so Prometheus sums counters over them and sees each
   * process's event-loop delay and memory.
   */
  async metrics(own: Registry): Promise<{ contentType: string; text: string }> {
    const all = [await own.getMetricsAsJSON(), ...(await this.workerMetrics())];
    const merged = AggregatorRegistry.aggregate(all);
    return { contentType: own.contentType, text: await merged.metrics() };
  }

  /** Answers a /metrics scrape with `metrics(own)`. */
  serveMetrics(own: Registry, res: ServerResponse): void {
    this.metrics(own).then(
      (m) => res.writeHead(200, { "content-type": m.contentType }).end(m.text),
      (e) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics failed: ${errorMessage(e)}`),
    );
  }

  /** Stops every worker: SIGTERM (they commit and leave their groups), SIGKILL after the grace. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.keyRingTimer) clearInterval(this.keyRingTimer);
    const graceMs = this.o.stopGraceMs ?? 10_000;
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.restartTimer) clearTimeout(slot.restartTimer);
        const child = slot.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        child.kill("SIGTERM");
        const kill = setTimeout(() => {
          this.o.log.warn({ worker: slot.name, pid: child.pid }, `runtime worker ${slot.name} (pid ${child.pid}) did not stop within ${graceMs / 1000} s of SIGTERM: killed (records it had not committed are processed again by the others)`);
          child.kill("SIGKILL");
        }, graceMs);
        await slot.exited;
        clearTimeout(kill);
      }),
    );
  }
}
