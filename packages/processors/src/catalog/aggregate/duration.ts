/**
 * Durations of window configs, written as an integer and a unit: `"250ms"`, `"30s"`, `"5m"`,
 * `"2h"`, `"1d"`. Text rather than a bare number of milliseconds, so a config says what it means
 * at a glance and a size of `5` (five what?) cannot slip through. Browser-safe.
 */

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d{1,12})(ms|s|m|h|d)$/;

/** The longest window size, advance, gap or grace: 31 days. */
export const MAX_DURATION_MS = 31 * UNIT_MS.d;

/** Milliseconds of a duration text, or undefined when it is not one. */
export function durationMs(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** Why `text` is not an acceptable duration (undefined: it is). Zero only when `allowZero`. */
export function durationProblem(text: string, allowZero: boolean): string | undefined {
  const ms = durationMs(text);
  if (ms === undefined) return `a duration is a whole number and a unit (ms, s, m, h or d), like "30s" or "5m"; got "${text}"`;
  if (ms === 0 && !allowZero) return "the duration must be more than 0";
  if (ms > MAX_DURATION_MS) return "the duration is at most 31 days";
  return undefined;
}
