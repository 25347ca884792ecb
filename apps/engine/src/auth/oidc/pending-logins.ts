/** What the callback needs to finish a login the engine started: PKCE verifier and nonce, by state. */
export interface PendingLogin {
  codeVerifier: string;
  nonce: string;
}

/**
 * Logins sent to the provider and not back yet, kept in memory by their random state for a few
 * minutes. Bounded: past `capacity` the oldest are dropped (a flood of started logins costs at
 * most that much memory and only delays those browsers, which start again).
 */
export class PendingLogins {
  private readonly entries = new Map<string, PendingLogin & { expiresAt: number }>();

  constructor(
    private readonly ttlMs = 10 * 60_000,
    private readonly capacity = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  add(state: string, login: PendingLogin): void {
    const now = this.now();
    for (const [key, e] of this.entries) {
      if (e.expiresAt > now && this.entries.size < this.capacity) break;
      // insertion order is expiry order: the oldest go first
      this.entries.delete(key);
    }
    this.entries.set(state, { ...login, expiresAt: now + this.ttlMs });
  }

  /** The login started with this state, once (a replayed callback finds nothing); undefined when unknown or expired. */
  take(state: string): PendingLogin | undefined {
    const e = this.entries.get(state);
    if (!e) return undefined;
    this.entries.delete(state);
    return e.expiresAt > this.now() ? { codeVerifier: e.codeVerifier, nonce: e.nonce } : undefined;
  }

  get size(): number {
    return this.entries.size;
  }
}
