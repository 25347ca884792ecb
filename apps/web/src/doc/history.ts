/**
 * Undo/redo history over an immutable value (the flow document).
 * Pure: every function returns a new History; nothing here knows about React or zustand.
 *
 * Coalescing: successive commits with the same `key` within `windowMs` replace the present
 * instead of pushing a new step (typing "value.amount > 10" is one undo step, not 17).
 */
export interface History<T> {
  past: T[];
  present: T;
  future: T[];
  /** coalescing key and time of the last commit */
  lastKey?: string;
  lastAt?: number;
}

export interface CommitOptions {
  /** commits with the same key within windowMs merge into one undo step */
  key?: string;
  now?: number;
  windowMs?: number;
  limit?: number;
}

export const DEFAULT_LIMIT = 200;
export const DEFAULT_WINDOW_MS = 1000;

export function initHistory<T>(present: T): History<T> {
  return { past: [], present, future: [] };
}

export function commit<T>(h: History<T>, next: T, opts: CommitOptions = {}): History<T> {
  if (Object.is(next, h.present)) return h;
  const now = opts.now ?? Date.now();
  const windowMs = opts.windowMs ?? DEFAULT_WINDOW_MS;
  const limit = opts.limit ?? DEFAULT_LIMIT;
  const coalesce =
    opts.key !== undefined &&
    opts.key === h.lastKey &&
    h.lastAt !== undefined &&
    now - h.lastAt <= windowMs &&
    h.past.length > 0;
  if (coalesce) {
    return { past: h.past, present: next, future: [], lastKey: opts.key, lastAt: now };
  }
  const past = [...h.past, h.present];
  if (past.length > limit) past.splice(0, past.length - limit);
  return { past, present: next, future: [], lastKey: opts.key, lastAt: now };
}

export function undo<T>(h: History<T>): History<T> {
  if (h.past.length === 0) return h;
  const previous = h.past[h.past.length - 1];
  return { past: h.past.slice(0, -1), present: previous, future: [h.present, ...h.future] };
}

export function redo<T>(h: History<T>): History<T> {
  if (h.future.length === 0) return h;
  const [next, ...rest] = h.future;
  return { past: [...h.past, h.present], present: next, future: rest };
}

export const canUndo = <T>(h: History<T>) => h.past.length > 0;
export const canRedo = <T>(h: History<T>) => h.future.length > 0;
