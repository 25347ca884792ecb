import type { MRecord } from "../sdk.js";

/**
 * The messages between the engine's thread and a user-code worker. One request per batch of one
 * processor; the worker answers once per request.
 */

/** What an expression job returns per record. */
export type ExpressionResultMode =
  /** JSONata's boolean cast of the one expression (filter) */
  | "truthy"
  /** the index of the first expression that is true, -1 for none (route) */
  | "first-truthy"
  /** the value of each expression (map, flat-map) */
  | "value"
  /** each expression as a header string; null stays null (set-key, set-headers) */
  | "header";

export interface ExpressionTask {
  kind: "expression";
  sources: readonly string[];
  mode: ExpressionResultMode;
  /** JSONata's own evaluation guards; a stuck evaluation is also ended by terminating the worker */
  timeoutMs: number;
  maxDepth: number;
  maxSequence: number;
}

export interface JavascriptTask {
  kind: "javascript";
  code: string;
  timeLimitMs: number;
  memoryLimitMb: number;
}

export type UserCodeTask = ExpressionTask | JavascriptTask;

export interface JobRequest {
  id: number;
  task: UserCodeTask;
  records: readonly MRecord[];
  /** the caller's index of each record (absent: 0, 1, 2…); progress and failures use these */
  indexes?: readonly number[];
  /** epoch ms after which no further record starts */
  batchDeadline: number;
  /** a record whose output is larger fails instead */
  maxOutputBytes: number;
}

/** A record that failed: its index in the caller's batch, which expression (0 for code), why. */
export type RecordFailure = [index: number, expression: number, reason: string];

export interface JobResponse {
  id: number;
  /**
   * Per record of the request (expression jobs: `sources.length` entries per record, in order,
   * except "truthy"/"first-truthy": one entry per record); undefined where the record failed.
   */
  results: unknown[];
  failures: RecordFailure[];
  logs: [level: string, message: string][];
}

/** The file descriptor of a worker's progress file (the pool passes it as the child's fd 4). */
export const PROGRESS_FD = 4;

/** Int32 slots of a worker's progress file, written by the worker, read by the pool's watchdog. */
export const PROGRESS = {
  /** the caller's index of the record being evaluated (-1: none yet) */
  current: 0,
  /** bumped each time a record starts, so a watchdog tells a new record from the same one */
  started: 1,
  /** which of the task's expressions is being evaluated */
  expression: 2,
} as const;
export const PROGRESS_SLOTS = 3;
