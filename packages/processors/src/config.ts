import { z } from "zod";
import type { ProcessorSpec } from "./sdk.js";

/** Thrown by `create()` for a config its schema rejects; the message lists path-named issues. */
export class ConfigError extends Error {
  readonly issues: readonly z.core.$ZodIssue[];
  constructor(type: string, error: z.ZodError) {
    super(`invalid config for ${type}: ${z.prettifyError(error)}`);
    this.name = "ConfigError";
    this.issues = error.issues;
  }
}

/** Validates and applies defaults; implementations call it once in `create()`. */
export function parseConfig<C>(spec: ProcessorSpec<C>, config: unknown): C {
  const r = spec.configSchema.safeParse(config ?? {});
  if (!r.success) throw new ConfigError(spec.type, r.error);
  return r.data;
}

/** Removes every occurrence of the given secrets (and URL passwords) from a message. */
export function redact(message: string, secrets: readonly (string | undefined)[]): string {
  let m = message;
  for (const s of secrets) {
    if (!s || s.length < 3) continue;
    m = m.split(s).join("***");
    try {
      const u = new URL(s);
      if (u.password) m = m.split(decodeURIComponent(u.password)).join("***").split(u.password).join("***");
    } catch {
      /* not a URL */
    }
  }
  return m;
}

/** Waits `ms`, or less when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
