import { fork, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readSync, unlinkSync } from "node:fs";
import { availableParallelism, setPriority, tmpdir } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { TransientError, type MRecord } from "../sdk.js";
import { DEFAULT_PENALTY, Penalty, type PenaltyTimes } from "./penalty.js";
import { workerEntry } from "./worker-entry.js";
import { PROGRESS, PROGRESS_SLOTS, type JobRequest, type JobResponse, type RecordFailure, type UserCodeTask } from "./protocol.js";

/**
 * The engine's pool of user-code workers (node only: the browser never imports it). Expressions
 * and javascript run here, one request per batch, so that a record that never returns or fills
 * the heap ends with its worker — killed and replaced — while the engine's thread, the other
 * records of the batch and every other stage and flow go on. Workers are child processes, not
 * threads: V8 treats some out-of-memory failures (one large allocation) as fatal to the whole
 * process even inside a worker thread with resource limits.
 */

export interface UserCodePoolOptions {
  /** how many workers at most (started on demand) */
  workers: number;
  /** V8 heap of one worker process (MB), strings included */
  memoryLimitMb: number;
  /** how long a node that ended a worker waits before its next attempt (see penalty.ts) */
  penalty?: PenaltyTimes;
  /** a record running longer than this (ms) lowers its worker's CPU priority for good */
  lowerPriorityAfterMs?: number;
}

/**
 * Past this, a record is likely a runaway: its worker yields the CPU to the engine and the broker
 * (nice 19) until it ends. A process cannot raise its priority back, so that worker is retired
 * after its batch.
 */
const LOWER_PRIORITY_AFTER_MS = 100;

/** One object per node: the pool keys a node's penalty on it. */
export interface BatchLimits {
  /** one record longer than this (ms) is ended with its worker */
  recordTimeoutMs: number;
  /** no record of the batch starts after this long (ms) */
  batchTimeoutMs: number;
  /** a record whose output is larger (bytes, about) fails */
  maxOutputBytes: number;
}

export interface BatchOutcome {
  /** `width` entries per record, at `index * width` (see JobResponse); undefined where it failed */
  results: unknown[];
  failures: RecordFailure[];
  logs: [level: string, message: string][];
}

export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

export const DEFAULT_POOL_OPTIONS: UserCodePoolOptions = { workers: defaultWorkerCount(), memoryLimitMb: 64 };

/** A worker idle this long ends (its memory goes back); the next batch starts one again. */
const IDLE_EXIT_MS = 60_000;

/** The watchdog's period; a stuck record is ended at most this long after its limit. */
const WATCH_MS = 25;

interface Attempt {
  request: JobRequest;
  limits: BatchLimits;
  finish(result: { ok: true; response: JobResponse } | { ok: false; current: number; expression: number; reason: string }): void;
  lastStarted: number;
  lastStartAt: number;
  /** why the pool ended the worker (absent: it died by itself) */
  killReason?: string;
  /** the worker's own error (out of memory) */
  error?: Error;
}

interface Slot {
  child: ChildProcess;
  /** the pool's descriptor of the worker's progress file (the file itself is already unlinked) */
  progressFd: number;
  attempt?: Attempt;
  dead: boolean;
  /** the end of the worker's stderr: how a fatal out-of-memory is told from other deaths */
  stderrTail: string;
  /** resolves when the worker listens for requests (a message sent earlier could be lost), or is gone */
  ready: Promise<void>;
  /** why the worker ended, once it has */
  deathReason?: string;
  /** ends the worker after IDLE_EXIT_MS in the idle list */
  idleTimer?: ReturnType<typeof setTimeout>;
  /** ended by the pool for being idle or niced, not counted as replaced */
  retired?: boolean;
  /** runs at the lowest CPU priority: retired when its batch ends */
  niced?: boolean;
}

const progressView = new Int32Array(PROGRESS_SLOTS);
const progressBytes = new Uint8Array(progressView.buffer);

/** The worker's progress slots, as last written (a 12-byte pread). */
function readProgress(slot: Slot): Int32Array {
  progressView.fill(-1);
  if (slot.progressFd >= 0) readSync(slot.progressFd, progressBytes, 0, progressBytes.length, 0);
  return progressView;
}

let nextProgressFile = 0;

let nextJob = 1;

export class UserCodePool {
  private readonly slots = new Set<Slot>();
  private readonly idle: Slot[] = [];
  private readonly waiting: ((slot: Slot) => void)[] = [];
  private watchdog: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  /** wakes the batches waiting out a penalty when the pool closes */
  private readonly closing = new AbortController();
  private readonly penalties = new WeakMap<BatchLimits, Penalty>();
  private readonly penaltyTimes: PenaltyTimes;
  private readonly lowerPriorityAfterMs: number;
  /** workers ended by the pool or dead by themselves since start */
  replaced = 0;
  /** workers whose CPU priority was lowered since start */
  niced = 0;

  constructor(private readonly options: UserCodePoolOptions = DEFAULT_POOL_OPTIONS) {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new Error(`user code workers must be a whole number ≥ 1, got ${options.workers}`);
    if (!(options.memoryLimitMb >= 16)) throw new Error(`user code worker memory must be at least 16 MB, got ${options.memoryLimitMb}`);
    this.penaltyTimes = options.penalty ?? DEFAULT_PENALTY;
    if (!(this.penaltyTimes.firstMs >= 0 && this.penaltyTimes.maxMs >= this.penaltyTimes.firstMs)) throw new Error(`user code penalty must be 0 ≤ firstMs ≤ maxMs, got ${JSON.stringify(this.penaltyTimes)}`);
    this.lowerPriorityAfterMs = options.lowerPriorityAfterMs ?? LOWER_PRIORITY_AFTER_MS;
  }

  /**
   * Runs `task` over `records` in a worker. Every record ends with a result or a failure (with
   * its reason); the promise rejects only when the pool is closed (a TransientError: retry later).
   */
  async run(task: UserCodeTask, records: readonly MRecord[], width: number, limits: BatchLimits): Promise<BatchOutcome> {
    const n = records.length;
    const outcome: BatchOutcome = { results: new Array<unknown>(n * width), failures: [], logs: [] };
    if (n === 0) return outcome;
    let pending: number[] | undefined;
    let batchDeadline = 0;
    let startsWithoutProgress = 0;
    let killed = false;
    const penalty = this.penaltyOf(limits);
    // a penalized node waits before its batch reaches the pool, holding no worker
    await this.waitOut(penalty.remainingMs(Date.now()));
    for (;;) {
      const slot = await this.acquire();
      // a penalized node's records are suspects: they get only the CPU nobody else wants
      if (penalty.active && !slot.niced) this.lowerPriority(slot);
      // a worker's start (a fresh process) is not the batch's time
      await slot.ready;
      if (batchDeadline === 0) batchDeadline = Date.now() + limits.batchTimeoutMs;
      const subset = pending ? pending.map((i) => records[i]!) : records;
      const request: JobRequest = { id: nextJob++, task, records: subset, indexes: pending, batchDeadline, maxOutputBytes: limits.maxOutputBytes };
      const result = await this.attempt(slot, request, limits);
      if (result.ok) {
        const { response } = result;
        for (let j = 0; j < subset.length; j++) {
          const at = pending ? pending[j]! : j;
          for (let w = 0; w < width; w++) outcome.results[at * width + w] = response.results[j * width + w];
        }
        for (const f of response.failures) outcome.failures.push(f);
        for (const l of response.logs) outcome.logs.push(l);
        if (!killed) penalty.clear();
        return outcome;
      }
      killed = true;
      penalty.workerKilled(Date.now());
      const all = pending ?? Array.from({ length: n }, (_, i) => i);
      if (result.current >= 0 && all.includes(result.current)) {
        outcome.failures.push([result.current, result.expression, result.reason]);
        pending = all.filter((i) => i !== result.current);
      } else if (++startsWithoutProgress > 1) {
        // the worker died twice before a record started: a batch too big to load fails its
        // records; a worker that cannot start is the engine's problem, and the batch is retried later
        if (!result.reason.startsWith("out of memory")) throw new TransientError(`the user code worker could not run the batch: ${result.reason}`);
        for (const i of all) outcome.failures.push([i, 0, result.reason]);
        return outcome;
      } else pending = all;
      if (pending.length === 0) return outcome;
      const wait = penalty.remainingMs(Date.now());
      if (Date.now() + wait > batchDeadline) {
        const reason = wait > 0 ? "not run: the batch used its time limit (its node waits after ending a worker)" : "not run: the batch used its time limit";
        for (const i of pending) outcome.failures.push([i, 0, reason]);
        return outcome;
      }
      await this.waitOut(wait);
    }
  }

  private penaltyOf(limits: BatchLimits): Penalty {
    let p = this.penalties.get(limits);
    if (!p) this.penalties.set(limits, (p = new Penalty(this.penaltyTimes)));
    return p;
  }

  private async waitOut(ms: number): Promise<void> {
    if (ms <= 0) return;
    try {
      await sleep(ms, undefined, { signal: this.closing.signal });
    } catch {
      throw new TransientError("the user code pool was closed (the engine is stopping)");
    }
  }

  /** Terminates every worker; waiting and running batches reject with a TransientError. */
  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    const stopping: Promise<void>[] = [];
    for (const slot of this.slots) {
      slot.attempt?.finish({ ok: false, current: -1, expression: 0, reason: "closed" });
      slot.attempt = undefined;
      slot.dead = true;
      stopping.push(new Promise<void>((resolve) => {
        if (slot.child.exitCode !== null || slot.child.signalCode !== null) return resolve();
        slot.child.once("exit", () => resolve());
        slot.child.kill("SIGKILL");
      }));
    }
    this.slots.clear();
    this.idle.length = 0;
    await Promise.allSettled(stopping);
  }

  /** Workers running now (for tests and figures). */
  get size(): number {
    return this.slots.size;
  }

  private attempt(slot: Slot, request: JobRequest, limits: BatchLimits): Promise<{ ok: true; response: JobResponse } | { ok: false; current: number; expression: number; reason: string }> {
    if (slot.dead) {
      this.release(slot);
      return Promise.resolve({ ok: false, current: -1, expression: 0, reason: slot.deathReason ?? "the user code worker stopped" });
    }
    return new Promise((resolve, reject) => {
      const attempt: Attempt = {
        request,
        limits,
        lastStarted: readProgress(slot)[PROGRESS.started]!,
        lastStartAt: Date.now(),
        finish: (r) => {
          if (slot.attempt !== attempt) return;
          slot.attempt = undefined;
          this.release(slot);
          if (this.closed) reject(new TransientError("the user code pool was closed (the engine is stopping)"));
          else resolve(r);
        },
      };
      slot.attempt = attempt;
      this.watch();
      void slot.ready.then(() => this.send(slot, attempt, resolve));
    });
  }

  private send(slot: Slot, attempt: Attempt, resolve: (r: { ok: true; response: JobResponse }) => void): void {
    if (slot.attempt !== attempt || slot.dead) return;
    const { request } = attempt;
    try {
      slot.child.send(request);
    } catch (e) {
      // a value the serializer refuses cannot reach any worker: fail the batch's records by name
      slot.attempt = undefined;
      this.release(slot);
      const reason = `the record cannot be passed to the user code worker: ${e instanceof Error ? e.message : String(e)}`;
      resolve({ ok: true, response: { id: request.id, results: [], failures: request.records.map((_, j) => [request.indexes ? request.indexes[j]! : j, 0, reason] as RecordFailure), logs: [] } });
    }
  }

  private acquire(): Promise<Slot> {
    if (this.closed) return Promise.reject(new TransientError("the user code pool was closed (the engine is stopping)"));
    const slot = this.idle.pop();
    if (slot) {
      clearTimeout(slot.idleTimer);
      return Promise.resolve(slot);
    }
    if (this.slots.size < this.options.workers) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(slot: Slot): void {
    if (this.closed) return;
    if (slot.niced && !slot.dead) {
      slot.dead = true;
      slot.retired = true;
      this.slots.delete(slot);
      slot.child.kill("SIGKILL");
    }
    // a dead worker's replacement starts now, while its node waits out its penalty
    const target = slot.dead ? (this.slots.size < this.options.workers ? this.spawn() : undefined) : slot;
    if (!target) return;
    const next = this.waiting.shift();
    if (next) next(target);
    else {
      this.idle.push(target);
      clearTimeout(target.idleTimer);
      target.idleTimer = setTimeout(() => {
        const i = this.idle.indexOf(target);
        if (i < 0) return;
        this.idle.splice(i, 1);
        target.dead = true;
        target.retired = true;
        target.child.kill("SIGTERM");
      }, IDLE_EXIT_MS);
      target.idleTimer.unref();
    }
  }

  private spawn(): Slot {
    // A few bytes on disk the worker writes per record and the watchdog reads; unlinked at once,
    // both ends keep their descriptor. (Processes share no memory; a message per record would cost more.)
    const path = join(tmpdir(), `millrace-user-code-${process.pid}-${nextProgressFile++}`);
    const progressFd = openSync(path, "w+", 0o600);
    const { entry, execArgv } = workerEntry(this.options.memoryLimitMb);
    let child: ChildProcess;
    try {
      child = fork(entry, [], {
        execArgv,
        // user code sees none of the engine's environment
        env: { PATH: process.env.PATH ?? "", TMPDIR: tmpdir() },
        serialization: "advanced",
        stdio: ["ignore", "inherit", "pipe", "ipc", progressFd],
      });
    } finally {
      unlinkSync(path);
    }
    let listening!: () => void;
    const slot: Slot = { child, progressFd, dead: false, stderrTail: "", ready: new Promise((resolve) => (listening = resolve)) };
    this.slots.add(slot);
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      slot.stderrTail = (slot.stderrTail + chunk).slice(-4096);
    });
    child.on("message", (response: JobResponse | "ready") => {
      if (response === "ready") return listening();
      const a = slot.attempt;
      if (a && a.request.id === response.id) a.finish({ ok: true, response });
    });
    child.on("error", (e) => {
      if (slot.attempt) slot.attempt.error = e;
    });
    child.on("exit", (code, signal) => {
      listening();
      const progress = readProgress(slot);
      const current = progress[PROGRESS.current]!;
      const expression = progress[PROGRESS.expression]!;
      slot.dead = true;
      closeSync(slot.progressFd);
      slot.progressFd = -1;
      this.slots.delete(slot);
      const i = this.idle.indexOf(slot);
      if (i >= 0) this.idle.splice(i, 1);
      if (this.closed) return;
      clearTimeout(slot.idleTimer);
      if (slot.retired) {
        // a batch may have queued while this one was ending
        if (this.waiting.length > 0) this.release(slot);
        return;
      }
      this.replaced++;
      const a = slot.attempt;
      slot.deathReason = a?.killReason ?? deathReason(a, slot.stderrTail, code, signal, this.options.memoryLimitMb);
      a?.finish({ ok: false, current, expression, reason: slot.deathReason });
    });
    // an idle worker does not keep the engine's process alive
    child.unref();
    child.channel?.unref();
    return slot;
  }

  /** Ends a worker whose record ran past its limit, or whose batch ran well past its deadline. */
  private watch(): void {
    if (this.watchdog) return;
    this.watchdog = setInterval(() => {
      const now = Date.now();
      let busy = 0;
      for (const slot of this.slots) {
        const a = slot.attempt;
        if (!a || a.killReason !== undefined) continue;
        busy++;
        const progress = readProgress(slot);
        const started = progress[PROGRESS.started]!;
        if (started !== a.lastStarted) {
          a.lastStarted = started;
          a.lastStartAt = now;
          continue;
        }
        const running = progress[PROGRESS.current]! >= 0;
        if (running && !slot.niced && now - a.lastStartAt > this.lowerPriorityAfterMs) this.lowerPriority(slot);
        const grace = WATCH_MS * 4;
        if (running && now - a.lastStartAt > a.limits.recordTimeoutMs + grace) a.killReason = timeoutReason(a);
        else if (now > a.request.batchDeadline + a.limits.recordTimeoutMs + grace) a.killReason = "stopped: the batch used its time limit";
        if (a.killReason !== undefined) slot.child.kill("SIGKILL");
      }
      if (busy === 0 && this.watchdog) {
        clearInterval(this.watchdog);
        this.watchdog = undefined;
      }
    }, WATCH_MS);
    this.watchdog.unref();
  }

  private lowerPriority(slot: Slot): void {
    slot.niced = true;
    this.niced++;
    try {
      if (slot.child.pid !== undefined) setPriority(slot.child.pid, 19);
    } catch {
      // already gone: its exit is handled as usual
    }
  }
}

function timeoutReason(a: Attempt): string {
  const t = a.request.task;
  return t.kind === "expression" ? `expression timed out after ${t.timeoutMs} ms` : `stopped: the record used more than ${t.timeLimitMs} ms (endless loop?)`;
}

function deathReason(a: Attempt | undefined, stderrTail: string, code: number | null, signal: NodeJS.Signals | null, memoryLimitMb: number): string {
  if (/heap out of memory|Reached heap limit|Allocation failed/i.test(stderrTail)) return `out of memory (limit ${memoryLimitMb} MB)`;
  if (a?.error) return `the user code worker stopped (${a.error.message})`;
  return `the user code worker stopped (${signal ? `signal ${signal}` : `exit code ${code}`})`;
}

let shared: UserCodePool | undefined;
let sharedOptions: UserCodePoolOptions = DEFAULT_POOL_OPTIONS;

/** Sets the size of the engine's pool (before its first use, or it is restarted with them). */
export function configureUserCodePool(options: Partial<UserCodePoolOptions>): void {
  sharedOptions = { ...DEFAULT_POOL_OPTIONS, ...options };
  new UserCodePool(sharedOptions); // validates
  const old = shared;
  shared = undefined;
  void old?.close();
}

/** The engine's pool; its workers start on first use. */
export function userCodePool(): UserCodePool {
  shared ??= new UserCodePool(sharedOptions);
  return shared;
}

export async function closeUserCodePool(): Promise<void> {
  const old = shared;
  shared = undefined;
  await old?.close();
}
