/**
 * How big a result would be on the wire, counted only up to `limit` (so a huge output costs no
 * more than `limit` to measure), and whether it holds a function (which neither JSON nor a
 * worker message can carry). Strings count their UTF-16 length, numbers and the like 8.
 */
export interface OutputMeasure {
  bytes: number;
  hasFunction: boolean;
}

export function measureOutput(v: unknown, limit: number, into: OutputMeasure): OutputMeasure {
  into.bytes = 0;
  into.hasFunction = false;
  walk(v, limit, into);
  return into;
}

function walk(v: unknown, limit: number, m: OutputMeasure): void {
  if (m.bytes > limit) return;
  switch (typeof v) {
    case "string":
      m.bytes += v.length + 2;
      return;
    case "function":
      m.hasFunction = true;
      return;
    case "object":
      if (v === null) {
        m.bytes += 4;
        return;
      }
      if (Array.isArray(v)) {
        m.bytes += 2;
        for (let i = 0; i < v.length && m.bytes <= limit; i++) walk(v[i], limit, m);
        return;
      }
      m.bytes += 2;
      for (const k in v) {
        m.bytes += k.length + 3;
        walk((v as Record<string, unknown>)[k], limit, m);
        if (m.bytes > limit) return;
      }
      return;
    default:
      m.bytes += 8;
  }
}
