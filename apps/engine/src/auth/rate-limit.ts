import { DomainError } from "../errors.js";

const WINDOW_MS = 60_000;
/** Bounded memory: past this many names and addresses tracked, the oldest entries are forgotten. */
const MAX_KEYS = 10_000;

interface Window {
  startedAt: number;
  failures: number;
}

/**
 * Failed logins per user name and per remote address in a fixed one-minute window; once either
 * reaches the limit, logins for it are refused with TOO_MANY until the window ends, before the
 * password is even checked (so guessing costs the attacker time, not the engine hashing work).
 */
export class LoginRateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly failuresPerMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws TOO_MANY, naming the seconds to wait, when the name or the address is locked out. */
  check(name: string, address: string): void {
    const wait = Math.max(this.lockedFor(`u:${name.toLowerCase()}`), this.lockedFor(`a:${address}`));
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      throw new DomainError("TOO_MANY", `too many failed logins; try again in ${seconds} s (retry-after: ${seconds})`);
    }
  }

  failed(name: string, address: string): void {
    this.count(`u:${name.toLowerCase()}`);
    this.count(`a:${address}`);
  }

  /** A successful login clears the name's failures (not the address's: one good account must not unlock guessing others). */
  succeeded(name: string): void {
    this.windows.delete(`u:${name.toLowerCase()}`);
  }

  private lockedFor(key: string): number {
    const w = this.windows.get(key);
    if (!w) return 0;
    const left = w.startedAt + WINDOW_MS - this.now();
    if (left <= 0) {
      this.windows.delete(key);
      return 0;
    }
    return w.failures >= this.failuresPerMinute ? left : 0;
  }

  private count(key: string): void {
    const now = this.now();
    const w = this.windows.get(key);
    if (w && now - w.startedAt < WINDOW_MS) {
      w.failures++;
      return;
    }
    this.windows.delete(key);
    // a Map iterates in insertion order: the first keys are the oldest windows
    while (this.windows.size >= MAX_KEYS) this.windows.delete(this.windows.keys().next().value!);
    this.windows.set(key, { startedAt: now, failures: 1 });
  }
}
